//! What tests of meeting events run against: a webhook receiver that checks signatures as the
//! README tells receivers to, and a moto server (SQS, SNS and EventBridge-compatible).

pub mod moto;
pub mod receiver;
