//! JSON text frames to commands and events to JSON text, with no IO.
//!
//! Decoding tells apart every way a frame can be wrong (not UTF-8, not JSON,
//! no `type`, an unknown `type`, a missing or mistyped field) so the client
//! gets a specific error, and keeps the `req` number whenever it can be read.

use bytes::Bytes;

use crate::{Command, ErrorCode, ErrorEvent, Event, Request};

/// Turns one client frame into a request, or into the error to send back.
pub fn decode_request(frame: &[u8]) -> Result<Request, ErrorEvent> {
    let text = std::str::from_utf8(frame).map_err(|error| {
        ErrorEvent::new(None, ErrorCode::InvalidUtf8)
            .with_detail(format!("byte {}", error.valid_up_to()))
    })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|error| {
        ErrorEvent::new(None, ErrorCode::BadJson).with_detail(format!(
            "line {} column {}: {error}",
            error.line(),
            error.column()
        ))
    })?;
    let serde_json::Value::Object(object) = &value else {
        return Err(ErrorEvent::new(None, ErrorCode::BadJson).with_detail("expected a JSON object"));
    };
    let req = match object.get("req") {
        None | Some(serde_json::Value::Null) => None,
        Some(number) => match number.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(req) => Some(req),
            None => {
                return Err(ErrorEvent::new(None, ErrorCode::InvalidField)
                    .with_detail("req: expected an integer from 0 to 4294967295"));
            }
        },
    };
    let kind = match object.get("type") {
        None => return Err(ErrorEvent::new(req, ErrorCode::MissingField).with_detail("type")),
        Some(serde_json::Value::String(kind)) => kind.as_str(),
        Some(_) => {
            return Err(ErrorEvent::new(req, ErrorCode::InvalidField)
                .with_detail("type: expected a string"));
        }
    };
    if !Command::is_type(kind) {
        return Err(ErrorEvent::new(req, ErrorCode::UnknownCommand).with_detail(kind.to_owned()));
    }
    // A client of another version may shape `enter` differently: tell it the
    // version is wrong rather than which field is.
    if kind == "enter" {
        let announced = object.get("protocol").and_then(serde_json::Value::as_u64);
        if announced.is_some_and(|version| version != u64::from(crate::PROTOCOL_VERSION)) {
            return Err(ErrorEvent::new(req, ErrorCode::ProtocolVersion)
                .with_detail(format!("server speaks {}", crate::PROTOCOL_VERSION)));
        }
    }
    serde_json::from_value::<Request>(value).map_err(|error| {
        let message = error.to_string();
        let code = if message.starts_with("missing field") {
            ErrorCode::MissingField
        } else {
            ErrorCode::InvalidField
        };
        ErrorEvent::new(req, code).with_detail(message)
    })
}

/// Encodes an event as the text of one WebSocket frame.
pub fn encode_event(event: &Event) -> Bytes {
    // Serialising these plain types cannot fail: no maps with non-string keys,
    // no custom serialisers that error.
    Bytes::from(serde_json::to_vec(event).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountCommand, Gender, RoomCommand, Say};

    fn code_of(frame: &str) -> (Option<u32>, ErrorCode) {
        match decode_request(frame.as_bytes()) {
            Ok(request) => panic!("decoded {request:?}"),
            Err(error) => (error.req, error.code),
        }
    }

    #[test]
    fn decodes_commands_with_and_without_req() {
        let request = decode_request(br#"{"type":"say","req":7,"room":"paris","body":"salut"}"#);
        assert_eq!(
            request,
            Ok(Request {
                req: Some(7),
                command: Command::Room(RoomCommand::Say(Say {
                    room: "paris".into(),
                    body: "salut".into(),
                    reply_to: None
                }))
            })
        );
        let request = decode_request(
            br#"{"type":"enter","protocol":1,"nickname":"alice","age":25,"gender":"femme","department":"75"}"#,
        );
        match request.map(|request| request.command) {
            Ok(Command::Account(AccountCommand::Enter(enter))) => {
                assert_eq!(enter.gender, Some(Gender::Femme))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode_request(br#"{"type":"list_rooms"}"#).map(|r| r.command),
            Ok(Command::Room(RoomCommand::ListRooms {}))
        ));
    }

    #[test]
    fn tells_every_kind_of_bad_frame_apart() {
        assert_eq!(
            decode_request(b"{\"type\":\"ping\",\"x\":\"\xff\"}").map_err(|e| e.code),
            Err(ErrorCode::InvalidUtf8)
        );
        assert_eq!(code_of("{not json"), (None, ErrorCode::BadJson));
        assert_eq!(code_of("[1,2]"), (None, ErrorCode::BadJson));
        assert_eq!(code_of(r#"{"req":3}"#), (Some(3), ErrorCode::MissingField));
        assert_eq!(code_of(r#"{"type":5}"#), (None, ErrorCode::InvalidField));
        assert_eq!(
            code_of(r#"{"type":"dance","req":4}"#),
            (Some(4), ErrorCode::UnknownCommand)
        );
        assert_eq!(
            code_of(r#"{"type":"join","req":5}"#),
            (Some(5), ErrorCode::MissingField)
        );
        assert_eq!(
            code_of(r#"{"type":"join","room":7}"#),
            (None, ErrorCode::InvalidField)
        );
        assert_eq!(
            code_of(r#"{"type":"ping","req":-1}"#),
            (None, ErrorCode::InvalidField)
        );
        assert_eq!(
            code_of(
                r#"{"type":"enter","protocol":1,"nickname":"a","age":20,"gender":"robot","department":"75"}"#
            ),
            (None, ErrorCode::InvalidField)
        );
    }

    #[test]
    fn another_protocol_version_is_named_before_fields_are_checked() {
        assert_eq!(
            code_of(r#"{"type":"enter","req":2,"protocol":2,"pseudo":"x"}"#),
            (Some(2), ErrorCode::ProtocolVersion)
        );
    }

    #[test]
    fn every_command_type_is_listed() {
        // A command missing from TYPES would be reported as unknown instead of malformed.
        for kind in Command::types() {
            let frame = format!(r#"{{"type":"{kind}"}}"#);
            let outcome = decode_request(frame.as_bytes());
            assert!(
                outcome.is_ok()
                    || outcome
                        .as_ref()
                        .is_err_and(|e| e.code == ErrorCode::MissingField),
                "{kind}: {outcome:?}"
            );
        }
    }

    #[test]
    fn events_encode_with_their_type() {
        let text = encode_event(&Event::Pong { req: Some(2) });
        assert_eq!(&text[..], br#"{"type":"pong","req":2}"#);
    }
}
