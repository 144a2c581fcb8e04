"""Where notifications go: webhooks (Slack blocks or a JSON body), SMTP email (HTML with the
metric's chart inline) and the app itself (in-app: the Alerts page reads states and history).

- config: the channel types and `parse_channel` for the `channels:` section of the alerts YAML;
- payload: a Notification as the JSON the outbox keeps (`alerts_deliveries.payload`);
- webhook / email: one send each, errors as DeliveryError with every secret removed;
- chart: the metric's recent values as a PNG for the email (plotly + kaleido).
alerts.deliver sends what the outbox holds, with retries.
"""
