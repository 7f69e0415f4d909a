"""rasa-sdk custom actions: translate a Rasa turn into a use case call and a reply."""
