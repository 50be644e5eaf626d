//! The SDP answer points at the ICE responder, which answers the browser's checks.

use carillon_testkit::signaling::*;
use carillon_testkit::*;

#[tokio::test]
async fn the_answer_names_the_media_port_and_its_credentials_work() {
    let server = shared_server();
    let meeting = create_meeting(&server.client()).await;
    let attendee = server
        .client()
        .create_attendee()
        .meeting_id(meeting.meeting_id().unwrap())
        .external_user_id("ice-user")
        .send()
        .await
        .unwrap()
        .attendee
        .unwrap();
    let mut c = Client::join(server.addr, &meeting, &attendee).await;
    let answer = c.subscribe().await;
    assert!(answer.contains("a=ice-lite"));
    let candidate = format!("127.0.0.1 {} typ host", server.media_addr.port());
    assert!(answer.contains(&candidate), "{answer}");
    let attribute = |name: &str| {
        answer
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    let (ufrag, pwd) = (attribute("a=ice-ufrag:"), attribute("a=ice-pwd:"));

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let request = binding_request(&format!("{ufrag}:cli1"), pwd.as_bytes());
    socket.send_to(&request, server.media_addr).await.unwrap();
    let mut buf = [0u8; 1500];
    let (len, _) = tokio::time::timeout(WAIT, socket.recv_from(&mut buf))
        .await
        .expect("a STUN answer")
        .unwrap();
    let response = carillon_signaling::ice::stun::parse(&buf[..len]).expect("STUN");
    assert_eq!(&buf[8..20], &request[8..20], "same transaction");
    assert_eq!(
        u16::from_be_bytes([buf[0], buf[1]]),
        0x0101,
        "Binding success"
    );
    assert!(response.verify_integrity(pwd.as_bytes()));
}

/// A Binding request as a browser sends it: USERNAME, MESSAGE-INTEGRITY and FINGERPRINT.
fn binding_request(username: &str, key: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut msg = vec![0x00, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42];
    msg.extend_from_slice(&[7; 12]);
    let name = username.as_bytes();
    msg.extend_from_slice(&0x0006u16.to_be_bytes());
    msg.extend_from_slice(&(name.len() as u16).to_be_bytes());
    msg.extend_from_slice(name);
    msg.resize(msg.len().next_multiple_of(4), 0);
    // Length as if MESSAGE-INTEGRITY were the last attribute.
    let with_integrity = (msg.len() - 20 + 24) as u16;
    msg[2..4].copy_from_slice(&with_integrity.to_be_bytes());
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(&msg);
    let tag = mac.finalize().into_bytes();
    msg.extend_from_slice(&0x0008u16.to_be_bytes());
    msg.extend_from_slice(&20u16.to_be_bytes());
    msg.extend_from_slice(&tag);
    let with_fingerprint = (msg.len() - 20 + 8) as u16;
    msg[2..4].copy_from_slice(&with_fingerprint.to_be_bytes());
    let crc = crc32fast::hash(&msg) ^ 0x5354_554e;
    msg.extend_from_slice(&0x8028u16.to_be_bytes());
    msg.extend_from_slice(&4u16.to_be_bytes());
    msg.extend_from_slice(&crc.to_be_bytes());
    msg
}
