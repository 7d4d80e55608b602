#!/usr/bin/env python3
"""Judge of faxgate's result mails: Python's own email package (not faxgate's code) parses a
message read from stdin as an RFC 3464 delivery status notification and prints what it found
as JSON: the report type, the per-message fields and one object per recipient."""
import email
import email.policy
import json
import sys

msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
out = {
    'content_type': msg.get_content_type(),
    'report_type': msg.get_param('report-type'),
    'subject': str(msg['subject'] or ''),
    'message_id': str(msg['message-id'] or ''),
    'parts': [],
    'per_message': {},
    'recipients': [],
    'human': '',
    'returned': None,
}
if msg.is_multipart():
    for part in msg.iter_parts():
        ctype = part.get_content_type()
        out['parts'].append(ctype)
        if ctype == 'message/delivery-status':
            # email parses the body as a list of header blocks: per-message, then per-recipient.
            blocks = part.get_payload()
            out['per_message'] = {k.lower(): str(v) for k, v in blocks[0].items()}
            out['recipients'] = [{k.lower(): str(v) for k, v in b.items()} for b in blocks[1:]]
        elif ctype == 'text/plain' and not out['human']:
            out['human'] = part.get_content()
        elif ctype == 'multipart/mixed':
            for sub in part.iter_parts():
                if sub.get_content_type() == 'text/plain' and not out['human']:
                    out['human'] = sub.get_content()
                out['parts'].append('mixed:' + sub.get_content_type())
        elif ctype == 'message/rfc822':
            inner = part.get_payload()[0]
            out['returned'] = {'kind': 'full', 'subject': str(inner['subject'] or ''), 'body': inner.get_body(('plain',)).get_content() if inner.get_body(('plain',)) else ''}
        elif ctype == 'text/rfc822-headers':
            out['returned'] = {'kind': 'headers', 'text': part.get_content()}
json.dump(out, sys.stdout)
