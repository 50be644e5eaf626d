-- 0003: attendees take less room (memory and disk, and so pages written per commit).
--
-- `capabilities` held JSON, {"Audio":"SendReceive","Video":"SendReceive","Content":"SendReceive"}
-- (69 bytes); it now holds one letter per medium, audio, video and content in that order:
-- B (SendReceive: both ways), S (Send), R (Receive), N (None); still NULL in the legacy namespace.
-- (`rows::capabilities_code` writes the same letters.) A value this does not recognise is left as
-- it was, so that reading it fails loudly rather than reading as no capabilities.
--
-- JoinTokens written from this version on are stored as the 16 bytes of their random half when
-- they have the form of every token this server issues (98 characters become 16 bytes; see
-- `rows::join_token_value`); the tokens already stored stay as they are and read the same.

UPDATE attendees
SET capabilities = coalesce(
        (CASE json_extract(capabilities, '$.Audio')
            WHEN 'SendReceive' THEN 'B' WHEN 'Send' THEN 'S' WHEN 'Receive' THEN 'R'
            WHEN 'None' THEN 'N' END)
        || (CASE json_extract(capabilities, '$.Video')
            WHEN 'SendReceive' THEN 'B' WHEN 'Send' THEN 'S' WHEN 'Receive' THEN 'R'
            WHEN 'None' THEN 'N' END)
        || (CASE json_extract(capabilities, '$.Content')
            WHEN 'SendReceive' THEN 'B' WHEN 'Send' THEN 'S' WHEN 'Receive' THEN 'R'
            WHEN 'None' THEN 'N' END),
        capabilities)
WHERE capabilities IS NOT NULL AND json_valid(capabilities);
