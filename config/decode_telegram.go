package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var (
	// botTokenPattern is the shape of a token issued by @BotFather: the bot
	// id, a colon, then a URL-safe random part.
	botTokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	// webhookSecretPattern is what setWebhook accepts as secret_token.
	webhookSecretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

func (d decoder) telegram() TelegramConfig {
	t := TelegramConfig{
		BotToken:      d.text("telegram.bot_token"),
		APIEndpoint:   d.text("telegram.api_endpoint"),
		Mode:          d.choice("telegram.mode", "bot mode", ModePolling, ModeWebhook),
		WebhookSecret: d.text("telegram.webhook_secret"),
		AdminChatIDs:  d.chatIDs("telegram.admin_chat_ids"),
	}

	const connectionsFix = "use 1-100"
	if n, ok := d.integer("telegram.max_connections", "whole number", connectionsFix); ok {
		if n < 1 || n > 100 {
			d.p.add("telegram.max_connections", "%d is out of range: %s", n, connectionsFix)
		}
		t.MaxConnections = n
	}

	if d.required("telegram.bot_token", t.BotToken, "set it to the token from @BotFather") &&
		!botTokenPattern.MatchString(t.BotToken) {
		d.p.add("telegram.bot_token", "is not a bot token (digits, a colon, then letters, "+
			"digits, _ or -): copy it again from @BotFather")
	}

	d.checkAPIEndpoint("telegram.api_endpoint", t.APIEndpoint)

	const secretFix = "use 1-256 characters of A-Z, a-z, 0-9, _ and -, " +
		"such as the output of openssl rand -hex 32"
	switch {
	case t.WebhookSecret != "" && !webhookSecretPattern.MatchString(t.WebhookSecret):
		d.p.add("telegram.webhook_secret", "is not valid (%d characters): %s",
			len(t.WebhookSecret), secretFix)
	case t.WebhookSecret == "" && t.Mode == ModeWebhook:
		d.p.add("telegram.webhook_secret", "is missing: webhook mode needs it, %s", secretFix)
	}
	return t
}

// checkAPIEndpoint checks that the endpoint is a fmt format with exactly two
// %s verbs and no other verb, and that it yields an http(s) URL.
func (d decoder) checkAPIEndpoint(key, endpoint string) {
	if !d.required(key, endpoint, "use https://api.telegram.org/bot%s/%s") {
		return
	}
	if strings.Count(endpoint, "%s") != 2 || strings.Count(endpoint, "%") != 2 {
		d.p.add(key, "%q must contain exactly two %%s, the token and then the method, "+
			"and no other %%: use https://api.telegram.org/bot%%s/%%s or the same path on "+
			"your own Bot API server", endpoint)
		return
	}
	u, err := url.Parse(fmt.Sprintf(endpoint, "123:token", "getMe"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.p.add(key, "%q is not an http or https URL once the %%s are filled in: "+
			"use https://api.telegram.org/bot%%s/%%s", endpoint)
	}
}

// chatIDs reads a YAML list of chat ids, or a comma-separated string from
// YAML or the environment. Repeated ids are kept once.
func (d decoder) chatIDs(key string) []int64 {
	var entries []string
	switch value := d.v.Get(key).(type) {
	case []any:
		for _, item := range value {
			entries = append(entries, fmt.Sprint(item))
		}
	default:
		text, _, ok := d.scalar(key)
		if !ok {
			return nil
		}
		entries = strings.Split(text, ",")
	}

	var ids []int64
	seen := make(map[int64]bool)
	for _, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, err := strconv.ParseInt(entry, 10, 64)
		if err != nil || id == 0 {
			d.p.add(key, "entry %q is not a chat id: use whole numbers separated by commas, "+
				"such as 123456789,-1001234567890", entry)
			return nil
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}
