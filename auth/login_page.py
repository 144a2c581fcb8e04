"""The sign-in page: plain HTML and a form, no Dash and no script, so it loads before anyone is
signed in (the gate lets nothing else through) and works with scripts off. Its look follows the
dashboard's light theme (Mantine's blues and greys, Inter)."""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup

STYLE = """
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
 background:#f8f9fa;color:#212529;font:16px/1.5 Inter,-apple-system,'Segoe UI',Roboto,sans-serif}
main{width:min(400px,92vw);background:#fff;border:1px solid #dee2e6;border-radius:8px;
 padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.05),0 10px 15px -5px rgba(0,0,0,.05)}
.brand{display:flex;align-items:center;gap:8px;margin:0 0 4px;font-size:26px;font-weight:700}
.brand span{color:#228be6}
p.lead{margin:0 0 24px;color:#868e96;font-size:14px}
label{display:block;font-size:14px;font-weight:500;margin:0 0 4px}
input{width:100%;height:38px;padding:0 12px;margin:0 0 16px;font:inherit;font-size:15px;
 border:1px solid #ced4da;border-radius:4px;background:#fff}
input:focus{outline:none;border-color:#228be6;box-shadow:0 0 0 2px rgba(34,139,230,.25)}
button{width:100%;height:40px;margin-top:8px;border:0;border-radius:4px;background:#228be6;
 color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:hover{background:#1c7ed6}
.error{margin:0 0 16px;padding:10px 12px;border-radius:4px;background:#fff5f5;color:#c92a2a;
 border:1px solid #ffc9c9;font-size:14px}
.note{margin:20px 0 0;color:#868e96;font-size:13px}
code{font-size:12px;background:#f1f3f5;padding:1px 4px;border-radius:3px;white-space:nowrap}
"""


def login_page(csrf_token: str, next_path: str, name: str = "", error: str = "") -> str:
    """The page; `error` (already in words) shown above the form, `name` kept in its field."""
    problem = Markup('<p class="error" role="alert">{}</p>').format(error) if error else ""
    return str(
        Markup(
            """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · Northstar</title><style>{style}</style></head>
<body><main>
<h1 class="brand"><span>✦</span>Northstar</h1>
<p class="lead">Sign in to see your team's North Star.</p>
{problem}
<form method="post" action="/login?next={next}">
<input type="hidden" name="csrf_token" value="{csrf}">
<label for="name">Name</label>
<input id="name" name="name" value="{name}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="note">No account yet? An admin adds one with <code>northstar users add</code>.</p>
</main></body></html>"""
        ).format(
            style=Markup(STYLE),
            problem=problem,
            next=quote(next_path, safe="/"),
            csrf=csrf_token,
            name=name,
        )
    )


def message_page(title: str, text: str) -> str:
    """A short page saying why a request was refused (a revoked screen, a bad proxy request)."""
    return str(
        Markup(
            """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · Northstar</title>
<style>{style}</style></head>
<body><main><h1 class="brand"><span>✦</span>Northstar</h1>
<p class="error" role="alert">{title}</p><p>{text}</p></main></body></html>"""
        ).format(style=Markup(STYLE), title=title, text=text)
    )
