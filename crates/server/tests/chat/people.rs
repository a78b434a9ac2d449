//! The user list: filters, search, pagination, idle time.

use serde_json::json;
use tchatche_protocol::Event;

use crate::support::TestServer;

#[tokio::test]
async fn the_user_list_filters_searches_and_pages() {
    let server = TestServer::start().await;
    let mut me = server.guest("Moi", 30).await;
    let people = [
        ("Amelie", 22, "femme", "75"),
        ("Bastien", 35, "homme", "13"),
        ("Camille", 41, "autre", "75"),
        ("Damien", 58, "homme", "971"),
        ("Elodie", 27, "femme", "etranger"),
    ];
    let mut clients = Vec::new();
    for (nick, age, gender, department) in people {
        let mut client = server.client().await;
        assert!(matches!(
            client.enter(nick, age, gender, department).await,
            Event::Entered { .. }
        ));
        clients.push(client);
    }
    clients[0].join("paris").await;
    clients[2].join("paris").await;

    let cases = [
        (
            json!({}),
            vec!["Amelie", "Bastien", "Camille", "Damien", "Elodie", "Moi"],
        ),
        (json!({"gender": "femme"}), vec!["Amelie", "Elodie"]),
        (
            json!({"age_min": 30, "age_max": 45}),
            vec!["Bastien", "Camille", "Moi"],
        ),
        (
            json!({"department": "75"}),
            vec!["Amelie", "Camille", "Moi"],
        ),
        (json!({"department": "etranger"}), vec!["Elodie"]),
        (json!({"room": "paris"}), vec!["Amelie", "Camille"]),
        (json!({"search": "MIE"}), vec!["Damien"]),
        (json!({"search": "e1odie"}), vec!["Elodie"]),
        (json!({"gender": "homme", "age_min": 40}), vec!["Damien"]),
    ];
    for (filters, expected) in cases {
        let mut query = filters.clone();
        query["type"] = json!("users");
        let Event::UserList { users, total, .. } = me.request(query).await else {
            panic!("{filters}")
        };
        let nicks: Vec<_> = users.iter().map(|u| u.nick.as_str()).collect();
        assert_eq!(nicks, expected, "{filters}");
        assert_eq!(total as usize, expected.len());
    }

    // Pages of two, in nickname order.
    let mut seen = Vec::new();
    for page in 0..3 {
        let Event::UserList {
            users,
            total,
            page_size,
            ..
        } = me
            .request(json!({"type": "users", "page": page, "page_size": 2}))
            .await
        else {
            panic!()
        };
        assert_eq!((total, page_size), (6, 2));
        seen.extend(users.into_iter().map(|u| u.nick));
    }
    assert_eq!(
        seen,
        ["Amelie", "Bastien", "Camille", "Damien", "Elodie", "Moi"]
    );

    me.refused(
        json!({"type": "users", "department": "20"}),
        "department_unknown",
    )
    .await;
    me.refused(
        json!({"type": "users", "room": "nulle-part"}),
        "room_not_found",
    )
    .await;
    server.shutdown().await;
}
