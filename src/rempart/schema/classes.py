"""Arrow schemas of the normalised event classes (see the package docstring)."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

PROVENANCE: list[pa.Field] = [
    pa.field("event_uid", pa.string(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_line", pa.int64()),
    pa.field("source_format", pa.string(), nullable=False),
]

NETWORK_FLOW = pa.schema(
    [
        pa.field("time", TS, nullable=False),
        pa.field("duration", pa.float64()),
        pa.field("src_ip", pa.string(), nullable=False),
        pa.field("src_port", pa.int32()),
        pa.field("dst_ip", pa.string(), nullable=False),
        pa.field("dst_port", pa.int32()),
        pa.field("protocol", pa.string()),  # tcp / udp / icmp
        pa.field("service", pa.string()),  # application protocol when known (smb, dns...)
        pa.field("bytes_out", pa.int64()),  # originator -> responder
        pa.field("bytes_in", pa.int64()),
        pa.field("packets_out", pa.int64()),
        pa.field("packets_in", pa.int64()),
        pa.field("conn_state", pa.string()),  # Zeek conn_state or equivalent
        pa.field("status", pa.string()),  # success / failure / unknown (normalised outcome)
        pa.field("action", pa.string()),  # allowed / denied (firewall logs), else null
        pa.field("flow_uid", pa.string()),  # the sensor's own id (Zeek uid)
        # Added for network sources beyond conn.log (all nullable; NULL record_kind = flow):
        pa.field("record_kind", pa.string()),  # flow / firewall / dns / smb
        pa.field("dns_query", pa.string()),  # dns.log query name
        pa.field("dns_rcode", pa.string()),  # dns.log rcode_name
        pa.field("smb_action", pa.string()),  # smb_files action / smb_mapping share_type
        pa.field("smb_path", pa.string()),  # smb share path or file name
        pa.field("rule", pa.string()),  # firewall rule / policy / log prefix
        *PROVENANCE,
    ]
)

# What a network sensor said beyond the flow itself (Suricata EVE `alert`, `dns`, `http`,
# `tls`, `smb`, `fileinfo`, `anomaly`; Zeek `http`, `ssl`, `smb_cmd`, `notice`, `weird`):
# one row per record, the same few columns for every kind.
NETWORK_EVENT = pa.schema(
    [
        pa.field("time", TS, nullable=False),
        pa.field("src_ip", pa.string()),
        pa.field("src_port", pa.int32()),
        pa.field("dst_ip", pa.string()),
        pa.field("dst_port", pa.int32()),
        pa.field("protocol", pa.string()),  # tcp / udp / icmp
        pa.field("app_proto", pa.string()),  # smb, http, tls, dns... ("unknown" when failed)
        pa.field("kind", pa.string()),  # alert / dns / http / tls / smb / fileinfo / anomaly /
        # notice / weird
        pa.field("name", pa.string()),  # signature, query, host, SNI, SMB command, note...
        pa.field("detail", pa.string()),  # category, rcode, method and URI, status, message
        pa.field("status", pa.string()),  # SMB status, HTTP status code, DNS rcode
        pa.field("severity", pa.int32()),  # an alert's severity (1 = highest)
        pa.field("signature_id", pa.int64()),
        pa.field("attack", pa.list_(pa.string())),  # ATT&CK ids from the rule's metadata
        pa.field("flow_uid", pa.string()),  # the sensor's flow id (Suricata flow_id, Zeek uid)
        pa.field("raw", pa.string()),
        # What the retro-hunt matches on HTTP and TLS (all nullable, filled by the sources):
        pa.field("url", pa.string()),  # the request as a URL: http://host/uri (HTTP, proxy)
        pa.field("user_agent", pa.string()),  # the HTTP client's User-Agent
        pa.field("ja3", pa.string()),  # TLS client fingerprint (md5)
        pa.field("ja3s", pa.string()),  # TLS server fingerprint (md5)
        *PROVENANCE,
    ]
)

ATTACHMENT = pa.struct(
    [
        pa.field("name", pa.string()),
        pa.field("content_type", pa.string()),
        pa.field("size", pa.int64()),
        pa.field("sha256", pa.string()),
    ]
)

EMAIL = pa.schema(
    [
        pa.field("time", TS),  # Date header, else ingest reference time
        pa.field("message_id", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("from_addr", pa.string()),
        pa.field("from_display", pa.string()),
        pa.field("reply_to", pa.string()),
        pa.field("return_path", pa.string()),
        pa.field("to_addrs", pa.list_(pa.string())),
        pa.field("cc_addrs", pa.list_(pa.string())),
        pa.field("auth_results", pa.string()),  # Authentication-Results + Received-SPF
        pa.field("urls", pa.list_(pa.string())),
        pa.field("attachments", pa.list_(ATTACHMENT)),
        pa.field("body_text", pa.string()),  # text (HTML stripped), truncated
        pa.field("size_bytes", pa.int64()),
        pa.field("raw_sha256", pa.string()),
        pa.field("raw", pa.binary()),  # the message as received, size-bounded, for evidence
        pa.field("defects", pa.list_(pa.string())),
        *PROVENANCE,
    ]
)

AUTHENTICATION = pa.schema(
    [
        pa.field("time", TS, nullable=False),
        pa.field("user", pa.string()),
        pa.field("src_ip", pa.string()),
        pa.field("dst_host", pa.string()),
        pa.field("service", pa.string()),  # imap / smtp / owa / windows / m365...
        pa.field("logon_type", pa.string()),
        pa.field("auth_protocol", pa.string()),
        pa.field("status", pa.string()),  # success / failure
        pa.field("status_detail", pa.string()),
        pa.field("raw", pa.string()),  # the original record (JSON or line), for evidence
        *PROVENANCE,
    ]
)

MAILBOX_ACTIVITY = pa.schema(
    [
        pa.field("time", TS, nullable=False),
        pa.field("user", pa.string()),  # who acted (UPN or login)
        pa.field("src_ip", pa.string()),
        pa.field("operation", pa.string()),  # MailItemsAccessed, New-InboxRule, UserLoggedIn...
        pa.field("workload", pa.string()),  # Exchange, AzureActiveDirectory...
        pa.field("status", pa.string()),  # success / failure
        pa.field("mailbox", pa.string()),  # the mailbox acted on, when known
        pa.field("client", pa.string()),  # client info string / user agent
        pa.field("app_id", pa.string()),  # application id when an app acted (Graph, EWS)
        pa.field("parameters", pa.string()),  # rule / forwarding / permission details (text)
        pa.field("item_count", pa.int64()),  # messages touched, when the record says
        pa.field("raw", pa.string()),  # the original record (JSON), for evidence
        *PROVENANCE,
    ]
)

MAIL_TRANSFER = pa.schema(
    [
        # One row per (message, recipient) event of a mail server's delivery log (Postfix,
        # Exchange message tracking, Microsoft 365 message trace): who sent to whom, when,
        # through which server, with what outcome. No content: what a hospital keeps of the
        # internal mail it does not ingest.
        pa.field("time", TS, nullable=False),
        pa.field("sender", pa.string()),  # envelope sender, lower case (NULL: bounce <>)
        pa.field("recipient", pa.string()),  # the mailbox this row is about, lower case
        pa.field("orig_recipient", pa.string()),  # as addressed, when a list/alias expanded it
        pa.field("message_id", pa.string()),  # Message-ID header without <>, when logged
        pa.field("queue_id", pa.string()),  # the server's own id (Postfix queue id...)
        pa.field("subject", pa.string()),  # when the log has it (attacker-controlled text)
        pa.field("src_ip", pa.string()),  # the client that handed the message in
        pa.field("client_host", pa.string()),
        pa.field("server", pa.string()),  # the server that logged the event
        pa.field("relay", pa.string()),  # next hop / connector, when the log says
        pa.field("status", pa.string()),  # received/delivered/relayed/deferred/bounced/rejected...
        pa.field("status_detail", pa.string()),  # the log's own event and reply text
        pa.field("size", pa.int64()),  # bytes
        pa.field("raw", pa.string()),  # the original line, for evidence
        *PROVENANCE,
    ]
)

PROCESS = pa.schema(
    [
        pa.field("time", TS, nullable=False),
        pa.field("host", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("event_code", pa.int32()),
        pa.field("record_id", pa.int64()),
        pa.field("user", pa.string()),
        pa.field("pid", pa.int64()),
        pa.field("ppid", pa.int64()),
        pa.field("image", pa.string()),
        pa.field("parent_image", pa.string()),
        pa.field("command_line", pa.string()),
        pa.field("raw", pa.string()),  # the whole event as JSON, for evidence and Sigma
        # flat event fields (EventData/UserData + EventID, Channel, Computer, Provider_Name):
        # what Sigma rules match on, parsed once at ingest
        pa.field("fields", pa.map_(pa.string(), pa.string())),
        *PROVENANCE,
    ]
)

FINDING = pa.schema(
    [
        pa.field("finding_uid", pa.string(), nullable=False),
        pa.field("detector", pa.string(), nullable=False),
        pa.field("detector_version", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),  # info/low/medium/high/critical
        pa.field("title", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),  # a sentence a person can read
        pa.field("entity", pa.string(), nullable=False),  # host address, account or message
        pa.field("entity_type", pa.string(), nullable=False),  # host / account / email
        pa.field("first_seen", TS, nullable=False),
        pa.field("last_seen", TS, nullable=False),
        pa.field("detected_at", TS),  # when the evidence crossed the threshold (null: first_seen)
        pa.field("score", pa.float64()),
        pa.field("attack", pa.list_(pa.string())),  # ATT&CK technique ids
        pa.field("evidence_class", pa.string()),  # table the evidence ids point into
        pa.field("evidence", pa.list_(pa.string())),  # event_uid values (bounded sample)
        pa.field("evidence_count", pa.int64()),  # how many events in total
        pa.field("related", pa.list_(pa.string())),  # other entities (peers, recipients)
        # the title and reason as catalogue keys and their values (JSON text): rendered per
        # language when shown; `title`/`reason` keep the French rendering for older readers
        pa.field("title_key", pa.string()),
        pa.field("reason_key", pa.string()),
        pa.field("params", pa.string()),
    ]
)
