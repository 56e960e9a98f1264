package local

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
)

// page is the content of one checkout page. html/template escapes every
// field for its context, so product names and ids from the catalog or the
// request cannot inject markup.
type page struct {
	Lang    string
	Notice  string
	Heading string
	// Tone is the CSS class of the heading: "info", "ok" or "fail".
	Tone     string
	Messages []string
	Rows     []row
	Actions  *actions
	Links    []link
}

type row struct {
	Label string
	Value string
}

// actions are the Pay and Decline forms of a payable checkout.
type actions struct {
	PayURL       string
	DeclineURL   string
	CSRFToken    string
	PayLabel     string
	DeclineLabel string
}

type link struct {
	URL   string
	Label string
}

// csrfField is the name of the form field that carries the checkout's
// form token.
const csrfField = "csrf_token"

// pageTemplate needs no script and no external file, so the Content
// Security Policy below allows only inline styles and same-origin forms.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Heading}}</title>
<style>
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif;
  background: #f3f4f6; color: #111827; }
main { max-width: 28rem; margin: 0 auto; padding: 1rem; }
.notice { background: #fef3c7; border: 1px solid #f59e0b; border-radius: .5rem; padding: .5rem .75rem;
  font-size: .9rem; }
h1 { font-size: 1.4rem; margin: 1rem 0; }
h1.ok { color: #047857; }
h1.fail { color: #b91c1c; }
dl { background: #fff; border-radius: .5rem; padding: .75rem 1rem; margin: 0 0 1rem; }
dt { font-size: .85rem; color: #6b7280; }
dd { margin: 0 0 .5rem; word-break: break-word; }
form { margin: 0 0 .75rem; }
button { width: 100%; font-size: 1.1rem; padding: .8rem; border: 0; border-radius: .5rem; color: #fff; }
button.pay { background: #047857; }
button.decline { background: #6b7280; }
a { color: #1d4ed8; }
</style>
</head>
<body>
<main>
<p class="notice">{{.Notice}}</p>
<h1 id="heading" class="{{.Tone}}">{{.Heading}}</h1>
{{- range .Messages}}
<p>{{.}}</p>
{{- end}}
{{- with .Rows}}
<dl>
{{- range .}}
<dt>{{.Label}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
{{- end}}
{{- with .Actions}}
<form method="post" action="{{.PayURL}}">
<input type="hidden" name="` + csrfField + `" value="{{.CSRFToken}}">
<button type="submit" id="pay" class="pay">{{.PayLabel}}</button>
</form>
<form method="post" action="{{.DeclineURL}}">
<input type="hidden" name="` + csrfField + `" value="{{.CSRFToken}}">
<button type="submit" id="decline" class="decline">{{.DeclineLabel}}</button>
</form>
{{- end}}
{{- range .Links}}
<p><a href="{{.URL}}">{{.Label}}</a></p>
{{- end}}
</main>
</body>
</html>
`))

// contentSecurityPolicy allows inline styles and posting forms to this
// origin only, and forbids framing, so another site cannot overlay the
// buttons.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// render writes the page with the status. Pages carry the checkout token in
// their URL, so they are neither cached nor sent as a referrer.
func (p *Provider) render(w http.ResponseWriter, status int, data page) {
	var body bytes.Buffer
	if err := pageTemplate.Execute(&body, data); err != nil {
		p.log.Error("Failed to render the local checkout page", "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}

	header := w.Header()
	header.Set("Content-Type", "text/html; charset=utf-8")
	header.Set("Content-Security-Policy", contentSecurityPolicy)
	header.Set("Cache-Control", "no-store")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if _, err := w.Write(body.Bytes()); err != nil {
		p.log.Debug("Failed to write the local checkout page", slog.Any("error", err))
	}
}

// messagePage returns a page with a heading and one paragraph.
func messagePage(t *texts, tone, heading, text string) page {
	return page{Lang: t.lang, Notice: t.notice, Heading: heading, Tone: tone, Messages: []string{text}}
}
