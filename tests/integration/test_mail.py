"""`maxgated admin mail test` against a real SMTP server on loopback
(aiosmtpd, tests/integration/mailbox.py): plain, STARTTLS required with the
test CA, AUTH with the password from an environment variable; a clear failure
when the server is down or refuses; the outbox file when no smtp_url is set."""
import os
import stat

import pytest

import mailbox as mbox  # tests/integration/mailbox.py (ahead of the stdlib module on sys.path)
from harness import Gateway, refused_port

assert hasattr(mbox, "Mailbox"), "tests/integration/mailbox.py must shadow the stdlib mailbox module"

TO = "alice@example.com"
PASSWORD = "smtp-Secret-pw-7781"


def gateway(mail, env=None):
    return Gateway([], extra={"mail": mail, "server": {"public_base_url": "https://gw.example.test"}}, env=env,
                   start=False)


def mail_test(gw, to=TO, check=True, env=None):
    return gw.admin("mail", "test", "--to", to, check=check, env=env)


def test_plain_delivery_to_a_loopback_server():
    with mbox.Mailbox() as mb:
        gw = gateway({"smtp_url": mb.url, "from": "maxgate <noreply@gw.example.test>"})
        r = mail_test(gw)
        assert "accepted by " + mb.url in r.stdout
        m = mb.wait_mail(TO)
        assert m["from"] == "noreply@gw.example.test" and m["rcpt"] == [TO]
        msg = m["msg"]
        assert msg["To"] == TO and msg["From"] == "maxgate <noreply@gw.example.test>"
        assert msg["Subject"] == "maxgate test mail"
        assert msg["Message-ID"].endswith("@gw.example.test>") and msg["Date"] and msg["MIME-Version"] == "1.0"
        assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
        assert "this is a test mail from maxgate to alice@example.com" in mbox.body_of(m)
        assert "https://gw.example.test" in mbox.body_of(m)
        assert b"\r\n\r\n" in m["raw"] or m["raw"].count(b"\n") > 5
        assert not m["tls"]  # a loopback host defaults to opportunistic; this server offers no STARTTLS


def test_starttls_required_with_the_test_ca():
    with mbox.Mailbox(starttls=True) as mb:
        gw = gateway({"smtp_url": mb.url, "starttls": "required", "ca_file": mb.cert})
        mail_test(gw)
        assert mb.wait_mail(TO)["tls"]


def test_starttls_required_fails_without_trusting_the_certificate():
    with mbox.Mailbox(starttls=True) as mb:
        gw = gateway({"smtp_url": mb.url, "starttls": "required"})
        r = mail_test(gw, check=False)
        assert r.returncode == 1
        assert "mail test to alice@example.com through " + mb.url + " failed" in r.stderr
        assert mb.mails() == []


def test_starttls_required_fails_when_the_server_offers_none():
    with mbox.Mailbox() as mb:
        gw = gateway({"smtp_url": mb.url, "starttls": "required"})
        r = mail_test(gw, check=False)
        assert r.returncode == 1 and "failed" in r.stderr
        assert mb.mails() == []


def test_auth_with_the_password_from_an_env_var():
    with mbox.Mailbox(starttls=True, auth=("mailer", PASSWORD)) as mb:
        cfg = {"smtp_url": mb.url, "ca_file": mb.cert, "smtp_user": "mailer", "smtp_password_env": "MG_SMTP_PW"}
        gw = gateway(cfg)
        mail_test(gw, env={"MG_SMTP_PW": PASSWORD})
        m = mb.wait_mail(TO)
        assert m["login"] == b"mailer" and m["tls"]
        # a wrong password fails clearly, and never shows the password
        r = mail_test(gw, check=False, env={"MG_SMTP_PW": "wrong-" + PASSWORD})
        assert r.returncode == 1 and "failed" in r.stderr
        assert PASSWORD not in r.stderr + r.stdout
        assert mb.auth_failures >= 1 and len(mb.mails()) == 1
        # an unset variable is named
        r = mail_test(gw, check=False, env={"MG_SMTP_PW": ""})
        assert r.returncode == 1 and "MG_SMTP_PW" in r.stderr


def test_auth_with_the_password_from_a_file():
    with mbox.Mailbox(starttls=True, auth=("mailer", PASSWORD)) as mb:
        gw = gateway({"smtp_url": mb.url, "ca_file": mb.cert, "smtp_user": "mailer",
                      "smtp_password_file": "smtp.pw"})
        with open(os.path.join(gw.dir, "smtp.pw"), "w") as f:
            f.write(PASSWORD + "\n")
        mail_test(gw)
        assert mb.wait_mail(TO)["login"] == b"mailer"


def test_fails_clearly_when_the_server_is_down():
    url = "smtp://127.0.0.1:%d" % refused_port()
    gw = gateway({"smtp_url": url})
    r = mail_test(gw, check=False)
    assert r.returncode == 1
    assert "mail test to alice@example.com through %s failed" % url in r.stderr
    assert "connect" in r.stderr.lower()


def test_outbox_file_when_no_smtp_url():
    gw = gateway({"outbox_dir": "outbox"})
    r = mail_test(gw)
    files = mbox.outbox_files(os.path.join(gw.dir, "outbox"))
    assert len(files) == 1 and files[0] in r.stdout
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    raw = open(files[0], "rb").read()
    assert b"To: alice@example.com\r\n" in raw and b"Subject: maxgate test mail\r\n" in raw
    assert os.path.basename(files[0]).count("-") == 1 and not any(
        f.startswith(".tmp") for f in os.listdir(os.path.join(gw.dir, "outbox")))


@pytest.mark.parametrize("bad", ["not-an-address", "a@b.c\r\nBcc: evil@x.y", "<a@b.c>"])
def test_bad_address_is_refused(bad):
    gw = gateway({"outbox_dir": "outbox"})
    r = mail_test(gw, to=bad, check=False)
    assert r.returncode == 2 and "--to" in r.stderr
    assert mbox.outbox_files(os.path.join(gw.dir, "outbox")) == []


@pytest.mark.parametrize("key", ["smtp_password", "password"])
def test_password_in_the_ini_file_is_refused(key):
    gw = gateway({"outbox_dir": "outbox"})
    with open(gw.config, "a") as f:
        f.write("[mail]\n%s = hunter2-secret\n" % key)
    r = mail_test(gw, check=False)
    assert r.returncode == 2 and "smtp_password_env" in r.stderr and "hunter2-secret" not in r.stderr


def test_credentials_in_the_url_are_refused():
    gw = gateway({"smtp_url": "smtp://mailer:hunter2-secret@127.0.0.1:25"})
    r = mail_test(gw, check=False)
    assert r.returncode == 1 and "smtp_user" in r.stderr and "hunter2-secret" not in r.stderr
