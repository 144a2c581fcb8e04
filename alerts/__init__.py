"""Alerts (issue 14): rules in metrics.yml or alerts.yml, evaluated against the metric layer,
kept as Grafana-style states in the app database, and delivered to webhooks, email and the app.

- alerts.model: the shared types (Rule, Observation, SeriesState, Notification);
- alerts.spec / alerts.conditions / alerts.anomaly: rules from YAML and what each condition sees;
- alerts.state: the pure state machine (previous state, observation, now) → state + notifications;
- alerts.store: states, history, silences, acknowledgements and deliveries in the app database;
- alerts.channels: webhook, email and in-app delivery, retried from the deliveries outbox.
"""
