#!/usr/bin/python3
"""A real IMAP client (Python's imaplib) against the gateway's IMAP server.

Usage: imaplib_client.py PORT USER PASSWORD ATTACHMENT_FILE
Logs in, lists, selects INBOX, searches unseen, fetches BODYSTRUCTURE and the PDF attachment
(part 2, compared byte for byte with ATTACHMENT_FILE after base64 decoding), stores \\Deleted,
expunges, and checks the folder is empty. Exits 0 on success, 1 with a message otherwise.
"""
import base64
import imaplib
import sys


def check(condition, message):
    if not condition:
        print("FAIL: " + message)
        sys.exit(1)


def main():
    port, user, password, attachment_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    with open(attachment_file, "rb") as f:
        expected = f.read()
    imap = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
    typ, _ = imap.login(user, password)
    check(typ == "OK", "login")
    typ, folders = imap.list()
    check(typ == "OK" and any(b'"Sent Faxes"' in f for f in folders), "list: %r" % folders)
    typ, data = imap.select("INBOX")
    check(typ == "OK" and data[0] == b"1", "select: %r" % data)
    typ, data = imap.search(None, "UNSEEN")
    check(typ == "OK" and data[0] == b"1", "search unseen: %r" % data)
    typ, data = imap.fetch("1", "(BODYSTRUCTURE)")
    check(typ == "OK" and b'"APPLICATION" "PDF"' in data[0], "bodystructure: %r" % data)
    typ, data = imap.uid("FETCH", "1", "(BODY.PEEK[2])")
    check(typ == "OK" and isinstance(data[0], tuple), "fetch part 2: %r" % data)
    check(base64.b64decode(data[0][1]) == expected, "attachment bytes differ")
    typ, data = imap.search(None, "UNSEEN")
    check(data[0] == b"1", "peek must not set \\Seen: %r" % data)
    typ, data = imap.fetch("1", "(BODY[TEXT])")
    typ, data = imap.search(None, "SEEN")
    check(data[0] == b"1", "BODY[] must set \\Seen: %r" % data)
    typ, _ = imap.store("1", "+FLAGS", "(\\Deleted)")
    check(typ == "OK", "store")
    typ, data = imap.expunge()
    check(typ == "OK" and data == [b"1"], "expunge: %r" % data)
    typ, data = imap.select("INBOX")
    check(data[0] == b"0", "folder not empty after expunge: %r" % data)
    imap.logout()
    print("OK")


if __name__ == "__main__":
    main()
