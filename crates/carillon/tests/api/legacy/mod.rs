//! The legacy Amazon Chime meeting API (the 21 meeting and attendee operations of the `chime`
//! 2018-05-01 model), served on the second listener, driven with raw requests signed for the
//! `chime` service: success codes and legacy-only output members, legacy error names and bodies,
//! attendee and meeting tags, ListMeetings, the separation of the two APIs' meetings,
//! authentication, and durability across restarts.

mod support;

mod attendees;
mod durability;
mod meetings;
mod namespaces;
mod tags;
mod wire;
