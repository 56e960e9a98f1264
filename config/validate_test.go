package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// yamlWithProducts returns minimalYAML's PingPong section with the given
// products section.
func yamlWithProducts(products string) string {
	head, _, _ := strings.Cut(minimalYAML, "products:")
	return head + "products:\n" + products
}

func TestLoad_ReportsEveryProblemAtOnce(t *testing.T) {
	certPath := writeFile(t, t.TempDir(), "cert.pem", "not checked")
	dir := workDirWithYAML(t, `
telegram:
  mode: webhook
pingpong:
  client_id: "2018092714313010017"
  acc_id: "2018092714313010016291"
colour: blue
products:
  - sku: ebook
    name: E-book
    price: 9.99
    currency: USD
    delivery: link
  - sku: ebook
    name: Second e-book
    price: "9.999"
    currency: USD
    delivery: link
  - sku: "has space"
    name: Stickers
    price: "5"
    currency: XYZ
  - sku: jp
    name: Japanese
    price: "1500.5"
    currency: JPY
    delivery: code
`)
	problems := loadProblems(t, dir, map[string]string{
		"WEBHOOK_PORT":          "80a",
		"WEBHOOK_LISTEN":        "bad host!",
		"PINGPONG_SIGN_TYPE":    "sha1",
		"PINGPONG_TIMEOUT":      "15",
		"LOG_LEVEL":             "verbose",
		"LOG_FORMAT":            "xml",
		"OUTBOX_GLOBAL_RATE":    "50",
		"OUTBOX_MAX_ATTEMPTS":   "0",
		"RECONCILE_INTERVAL":    "-1m",
		"SSL_CERT_PATH":         certPath,
		"TELEGRAM_API_ENDPOINT": "https://api.telegram.org/bot%s",
		"ADMIN_CHAT_IDS":        "12,abc",
	})

	want := []string{
		"telegram.bot_token (TELEGRAM_BOT_TOKEN) is missing: set it to the token from @BotFather",
		`telegram.api_endpoint (TELEGRAM_API_ENDPOINT) "https://api.telegram.org/bot%s" must contain exactly two %s`,
		"telegram.webhook_secret (TELEGRAM_WEBHOOK_SECRET) is missing: webhook mode needs it",
		`telegram.admin_chat_ids (ADMIN_CHAT_IDS) entry "abc" is not a chat id`,
		`server.listen (WEBHOOK_LISTEN) "bad host!" is not an IP address or host name`,
		`server.port (WEBHOOK_PORT) "80a" is not a port number: use 1-65535`,
		"server.public_base_url (PUBLIC_BASE_URL) is missing: webhook mode needs the public https origin",
		"server.ssl_key_path (SSL_KEY_PATH) is missing while server.ssl_cert_path (SSL_CERT_PATH) is set",
		`pingpong.client_id (PINGPONG_CLIENT_ID) "2018092714313010017" does not match ` +
			`pingpong.acc_id (PINGPONG_ACC_ID) "2018092714313010016291"`,
		"pingpong.webhook_secret (PINGPONG_WEBHOOK_SECRET) is missing",
		`pingpong.sign_type (PINGPONG_SIGN_TYPE) "sha1" is not a signature type: use SHA256 or MD5`,
		`pingpong.timeout (PINGPONG_TIMEOUT) "15" is not a duration`,
		`log.level (LOG_LEVEL) "verbose" is not a log level: use debug or info or warn or error`,
		`log.format (LOG_FORMAT) "xml" is not a log format: use text or json`,
		"outbox.global_rate (OUTBOX_GLOBAL_RATE) 50 is out of range",
		"outbox.max_attempts (OUTBOX_MAX_ATTEMPTS) 0 is too small",
		`reconciler.interval (RECONCILE_INTERVAL) "-1m" must be greater than zero`,
		"colour in " + filepath.Join(dir, defaultConfigFile) + " is not a setting",
		`products[0].price 9.99 is a YAML number, which cannot hold every amount in cents exactly: ` +
			`put it in quotes, as in price: "9.99"`,
		`products[1].sku "ebook" is already used by products[0]`,
		`products[1].price "9.999" has more decimals than USD allows (2)`,
		`products[2].sku "has space" is not valid`,
		`products[2].currency "XYZ" is not an ISO 4217 currency code`,
		"products[2].delivery is missing",
		`products[3].price "1500.5" has more decimals than JPY allows (0): write a whole number`,
	}
	for _, w := range want {
		assertProblem(t, problems, w)
	}
	if len(problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(problems), len(want), strings.Join(problems, "\n"))
	}
}

func TestLoad_FloatPriceRejected(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts(`
  - {sku: a, name: A, price: 4.50, currency: EUR, delivery: x}
  - {sku: b, name: B, price: 1e3, currency: EUR, delivery: x}
`))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, `products[0].price 4.50 is a YAML number`)
	assertProblem(t, problems, `put it in quotes, as in price: "4.50"`)
	assertProblem(t, problems, `products[1].price 1e3 is a YAML number`)
}

func TestLoad_IntegerPriceAccepted(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts(`
  - {sku: a, name: A, price: 12, currency: USD, delivery: x}
`))

	cfg := mustLoad(t, dir, withToken(nil))

	if cfg.Products[0].AmountMinor != 1200 {
		t.Errorf("AmountMinor = %d, want 1200", cfg.Products[0].AmountMinor)
	}
}

func TestLoad_PriceMoreDecimalsThanCurrency(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts(`
  - {sku: a, name: A, price: "9.999", currency: USD, delivery: x}
  - {sku: b, name: B, price: "1.2345", currency: KWD, delivery: x}
`))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, `products[0].price "9.999" has more decimals than USD allows (2): round it to 2 decimals`)
	assertProblem(t, problems, `products[1].price "1.2345" has more decimals than KWD allows (3)`)
}

func TestLoad_InvalidPrice(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts(`
  - {sku: a, name: A, price: "0", currency: USD, delivery: x}
  - {sku: b, name: B, price: "-1", currency: USD, delivery: x}
  - {sku: c, name: C, currency: USD, delivery: x}
`))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, `products[0].price is not a valid price: invalid amount "0": must be greater than zero`)
	assertProblem(t, problems, `products[1].price is not a valid price: invalid amount "-1"`)
	assertProblem(t, problems, `products[2].price is missing`)
}

func TestLoad_UnknownCurrency(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts(`
  - {sku: a, name: A, price: "1", currency: ABC, delivery: x}
  - {sku: b, name: B, price: "1", delivery: x}
`))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, `products[0].currency "ABC" is not an ISO 4217 currency code that PingPong accepts`)
	assertProblem(t, problems, `products[1].currency is missing`)
}

func TestLoad_ProductShape(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts(`
  - just-a-string
  - {sku: a, name: A, price: "1", currency: USD, delivery: x, colour: red}
  - {sku: "`+strings.Repeat("s", 41)+`", name: [x], price: "1", currency: usd, delivery: x}
`))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, "products[0] must be a product with sku, name, price, currency and delivery")
	assertProblem(t, problems, "products[1].colour is not a product field")
	assertProblem(t, problems, "products[2].sku")
	assertProblem(t, problems, "products[2].name must be a single value")
}

func TestLoad_ProductsNotAList(t *testing.T) {
	dir := workDirWithYAML(t, yamlWithProducts("  sku: a\n"))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, "products must be a list of products")
}

func TestLoad_WebhookModeWithoutPublicBaseURL(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	problems := loadProblems(t, dir, withToken(map[string]string{
		"BOT_MODE":                "WEBHOOK",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret",
	}))

	assertProblem(t, problems, "server.public_base_url (PUBLIC_BASE_URL) is missing")
	if len(problems) != 1 {
		t.Errorf("got %d problems, want 1:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

func TestLoad_WebhookModeRequiresHTTPS(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	problems := loadProblems(t, dir, withToken(map[string]string{
		"BOT_MODE":                "webhook",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret",
		"PUBLIC_BASE_URL":         "http://bot.example.com",
	}))

	assertProblem(t, problems, `server.public_base_url (PUBLIC_BASE_URL) "http://bot.example.com" is not https`)
}

func TestLoad_WebhookModeValid(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	cfg := mustLoad(t, dir, withToken(map[string]string{
		"BOT_MODE":                "webhook",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret",
		"PUBLIC_BASE_URL":         "https://bot.example.com:8443//",
	}))

	if cfg.Server.PublicBaseURL != "https://bot.example.com:8443" {
		t.Errorf("PublicBaseURL = %q", cfg.Server.PublicBaseURL)
	}
}

func TestLoad_PublicBaseURLMustBeOrigin(t *testing.T) {
	cases := map[string]string{
		"ftp://bot.example.com":            "is not an http or https URL",
		"bot.example.com":                  "is not an http or https URL",
		"https://bot.example.com/shop":     "must not contain a path",
		"https://bot.example.com/?a=1":     "must not contain a query or fragment",
		"https://bot.example.com#top":      "must not contain a query or fragment",
		"https://user:pw@bot.example.com":  "must not contain a user name or password",
		"https://":                         "has no host",
		"https://bot.example.com:8443/x/y": "must not contain a path",
	}
	for value, want := range cases {
		t.Run(value, func(t *testing.T) {
			dir := workDirWithYAML(t, minimalYAML)

			problems := loadProblems(t, dir, withToken(map[string]string{"PUBLIC_BASE_URL": value}))

			assertProblem(t, problems, want)
		})
	}
}

func TestLoad_BadPort(t *testing.T) {
	cases := map[string]string{
		"80a":   `server.port (WEBHOOK_PORT) "80a" is not a port number: use 1-65535`,
		"0":     "server.port (WEBHOOK_PORT) 0 is not a port number: use 1-65535",
		"70000": "server.port (WEBHOOK_PORT) 70000 is not a port number: use 1-65535",
		"-1":    "server.port (WEBHOOK_PORT) -1 is not a port number",
	}
	for value, want := range cases {
		t.Run(value, func(t *testing.T) {
			dir := workDirWithYAML(t, minimalYAML)

			problems := loadProblems(t, dir, withToken(map[string]string{"WEBHOOK_PORT": value}))

			assertProblem(t, problems, want)
		})
	}
}

func TestLoad_UnknownMode(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	problems := loadProblems(t, dir, withToken(map[string]string{"BOT_MODE": "longpoll"}))

	assertProblem(t, problems, `telegram.mode (BOT_MODE) "longpoll" is not a bot mode: use polling or webhook`)
}

func TestLoad_AdminChatIDs(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  string
		want []int64
	}{
		{name: "env list", env: " 12, -100345 ,12,", want: []int64{12, -100345}},
		{name: "yaml list", yaml: "[7, -8]", want: []int64{7, -8}},
		{name: "yaml string", yaml: `"7,8"`, want: []int64{7, 8}},
		{name: "yaml single number", yaml: "7", want: []int64{7}},
		{name: "env beats yaml", yaml: "[7]", env: "9", want: []int64{9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			content := minimalYAML
			if c.yaml != "" {
				content += "telegram:\n  admin_chat_ids: " + c.yaml + "\n"
			}
			dir := workDirWithYAML(t, content)

			cfg := mustLoad(t, dir, withToken(map[string]string{"ADMIN_CHAT_IDS": c.env}))

			if !reflect.DeepEqual(cfg.Telegram.AdminChatIDs, c.want) {
				t.Errorf("AdminChatIDs = %v, want %v", cfg.Telegram.AdminChatIDs, c.want)
			}
		})
	}
}

func TestLoad_AdminChatIDsInvalid(t *testing.T) {
	for _, value := range []string{"12;13", "0", "1.5", "99999999999999999999"} {
		t.Run(value, func(t *testing.T) {
			dir := workDirWithYAML(t, minimalYAML)

			problems := loadProblems(t, dir, withToken(map[string]string{"ADMIN_CHAT_IDS": value}))

			assertProblem(t, problems, "telegram.admin_chat_ids (ADMIN_CHAT_IDS) entry")
		})
	}
}

func TestLoad_SignTypeNormalised(t *testing.T) {
	for _, value := range []string{"md5", "Md5", "MD5"} {
		dir := workDirWithYAML(t, minimalYAML)

		cfg := mustLoad(t, dir, withToken(map[string]string{"PINGPONG_SIGN_TYPE": value}))

		if cfg.PingPong.SignType != SignTypeMD5 {
			t.Errorf("SignType for %q = %q, want MD5", value, cfg.PingPong.SignType)
		}
	}
}

func TestLoad_CertWithoutKey(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	keyPath := writeFile(t, dir, "key.pem", "key")

	problems := loadProblems(t, dir, withToken(map[string]string{"SSL_KEY_PATH": keyPath}))

	assertProblem(t, problems, "server.ssl_cert_path (SSL_CERT_PATH) is missing while "+
		"server.ssl_key_path (SSL_KEY_PATH) is set: set both to serve https, or neither")
}

func TestLoad_TLSFilesMustBeReadable(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	missing := filepath.Join(dir, "missing.pem")

	problems := loadProblems(t, dir, withToken(map[string]string{
		"SSL_CERT_PATH": missing,
		"SSL_KEY_PATH":  dir,
	}))

	assertProblem(t, problems, `server.ssl_cert_path (SSL_CERT_PATH) "`+missing+`" cannot be read`)
	assertProblem(t, problems, `server.ssl_key_path (SSL_KEY_PATH) "`+dir+`" is a directory`)
}

func TestLoad_TLSFilesAccepted(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	certPath := writeFile(t, dir, "cert.pem", "cert")
	keyPath := writeFile(t, dir, "key.pem", "key")

	cfg := mustLoad(t, dir, withToken(map[string]string{"SSL_CERT_PATH": certPath, "SSL_KEY_PATH": keyPath}))

	if cfg.Server.SSLCertPath != certPath || cfg.Server.SSLKeyPath != keyPath {
		t.Errorf("TLS paths = %q/%q", cfg.Server.SSLCertPath, cfg.Server.SSLKeyPath)
	}
}

func TestLoad_StoreIDs(t *testing.T) {
	cases := []struct {
		client, acc string
		want        string
	}{
		{"12", "123456", `pingpong.client_id (PINGPONG_CLIENT_ID) "12" does not match`},
		{"124", "123456", `so it should be "123"`},
		{"12a", "123456", `pingpong.client_id (PINGPONG_CLIENT_ID) "12a" is not a PingPong client id`},
		{"1", "123", `pingpong.acc_id (PINGPONG_ACC_ID) "123" is too short`},
		{"", "123456", "pingpong.client_id (PINGPONG_CLIENT_ID) is missing"},
		{"123", "", "pingpong.acc_id (PINGPONG_ACC_ID) is missing"},
	}
	for _, c := range cases {
		t.Run(c.client+"/"+c.acc, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, defaultConfigFile, yamlWithProducts(
				"  - {sku: a, name: A, price: \"1\", currency: USD, delivery: x}\n"))
			vars := withToken(map[string]string{"PINGPONG_CLIENT_ID": c.client, "PINGPONG_ACC_ID": c.acc})
			if c.client == "" || c.acc == "" {
				writeFile(t, dir, defaultConfigFile, "pingpong:\n  webhook_secret: "+testSalt+"\nproducts:\n"+
					"  - {sku: a, name: A, price: \"1\", currency: USD, delivery: x}\n")
			}

			problems := loadProblems(t, dir, vars)

			assertProblem(t, problems, c.want)
		})
	}
}

func TestLoad_UnquotedAccIDRejected(t *testing.T) {
	dir := workDirWithYAML(t, strings.Replace(minimalYAML,
		`acc_id: "2018092714313010016291"`, "acc_id: 2018092714313010016291", 1))

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, "pingpong.acc_id (PINGPONG_ACC_ID) is written as a number in the YAML file")
}

func TestLoad_SectionGivenAsValue(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML+"server: 8000\n")

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, "server in "+filepath.Join(dir, defaultConfigFile)+" must be a section")
}

func TestLoad_BotTokenShape(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	problems := loadProblems(t, dir, map[string]string{"TELEGRAM_BOT_TOKEN": "not a token/../x"})

	assertProblem(t, problems, "telegram.bot_token (TELEGRAM_BOT_TOKEN) is not a bot token")
	assertNoProblemMentions(t, problems, "not a token/../x")
}

func TestLoad_WebhookSecretInvalid(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	secret := "has spaces and !"

	problems := loadProblems(t, dir, withToken(map[string]string{"TELEGRAM_WEBHOOK_SECRET": secret}))

	assertProblem(t, problems, "telegram.webhook_secret (TELEGRAM_WEBHOOK_SECRET) is not valid (16 characters)")
	assertNoProblemMentions(t, problems, secret)
}

func TestLoad_SecretPastedElsewhereIsRedacted(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	problems := loadProblems(t, dir, withToken(map[string]string{"LOG_LEVEL": testSalt}))

	assertProblem(t, problems, `log.level (LOG_LEVEL) "[redacted]" is not a log level`)
	assertNoProblemMentions(t, problems, testSalt)
}

func TestLoad_APIEndpoint(t *testing.T) {
	cases := map[string]string{
		"https://api.telegram.org/bot%s/%s/%s":   "must contain exactly two %s",
		"https://api.telegram.org/bot%s/%s?x=%d": "must contain exactly two %s",
		"ftp://api.telegram.org/bot%s/%s":        "is not an http or https URL once the %s are filled in",
		"bot%s/%s":                               "is not an http or https URL",
	}
	for value, want := range cases {
		t.Run(value, func(t *testing.T) {
			dir := workDirWithYAML(t, minimalYAML)

			problems := loadProblems(t, dir, withToken(map[string]string{"TELEGRAM_API_ENDPOINT": value}))

			assertProblem(t, problems, want)
		})
	}

	dir := workDirWithYAML(t, minimalYAML)
	local := "http://127.0.0.1:8081/bot%s/%s"
	cfg := mustLoad(t, dir, withToken(map[string]string{"TELEGRAM_API_ENDPOINT": local}))
	if cfg.Telegram.APIEndpoint != local {
		t.Errorf("APIEndpoint = %q, want %q", cfg.Telegram.APIEndpoint, local)
	}
}

func TestLoad_NumericRanges(t *testing.T) {
	cases := map[string][2]string{
		"chat rate above global": {"OUTBOX_CHAT_RATE", "30"},
		"chat rate zero":         {"OUTBOX_CHAT_RATE", "0"},
		"global rate NaN":        {"OUTBOX_GLOBAL_RATE", "NaN"},
		"max size zero":          {"LOG_MAX_SIZE_MB", "0"},
		"max backups zero":       {"LOG_MAX_BACKUPS", "0"},
		"poll interval zero":     {"OUTBOX_POLL_INTERVAL", "0s"},
		"pending age text":       {"RECONCILE_PENDING_AGE", "ten minutes"},
		"shopper ip":             {"PINGPONG_SHOPPER_IP", "localhost"},
		"api base":               {"PINGPONG_API_BASE", "sandbox-acquirer-payment.pingpongx.com"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := workDirWithYAML(t, minimalYAML)

			problems := loadProblems(t, dir, withToken(map[string]string{c[0]: c[1]}))

			assertProblem(t, problems, "("+c[0]+")")
			if len(problems) != 1 {
				t.Errorf("got %d problems, want 1:\n%s", len(problems), strings.Join(problems, "\n"))
			}
		})
	}
}

func TestLoad_DatabaseAndLogDirRequired(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML+"database:\n  path: \"\"\nlog:\n  dir: \"\"\n")

	problems := loadProblems(t, dir, withToken(nil))

	assertProblem(t, problems, "database.path (DATABASE_PATH) is missing")
	assertProblem(t, problems, "log.dir (LOG_DIR) is missing")
}

func TestLoad_UnreadableConfigFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files regardless of permissions")
	}
	dir := workDirWithYAML(t, minimalYAML)
	if err := os.Chmod(filepath.Join(dir, defaultConfigFile), 0); err != nil {
		t.Fatal(err)
	}

	_, err := load(t, dir, withToken(nil))

	if err == nil || !strings.Contains(err.Error(), "config: read") {
		t.Errorf("error = %v, want a read error", err)
	}
}
