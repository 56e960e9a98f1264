package config

// maxGlobalRate is Telegram's documented limit for one bot sending to many
// chats, about 30 messages per second. Above it the Bot API returns 429 Too
// Many Requests.
const maxGlobalRate = 30

func (d decoder) database() DatabaseConfig {
	db := DatabaseConfig{Path: d.text("database.path")}
	d.required("database.path", db.Path, "use data/bot.db")
	return db
}

func (d decoder) log() LogConfig {
	l := LogConfig{
		Dir:    d.text("log.dir"),
		Level:  d.choice("log.level", "log level", "debug", "info", "warn", "error"),
		Format: d.choice("log.format", "log format", LogFormatText, LogFormatJSON),
	}
	d.required("log.dir", l.Dir, "use logs")

	const sizeFix = "use a whole number of megabytes of at least 1, such as 20"
	if size, ok := d.integer("log.max_size_mb", "whole number", sizeFix); ok {
		if size < 1 {
			d.p.add("log.max_size_mb", "%d is too small: %s", size, sizeFix)
		}
		l.MaxSizeMB = size
	}

	const backupsFix = "use a whole number of at least 1, such as 5"
	if backups, ok := d.integer("log.max_backups", "whole number", backupsFix); ok {
		if backups < 1 {
			d.p.add("log.max_backups", "%d is too small: %s", backups, backupsFix)
		}
		l.MaxBackups = backups
	}
	return l
}

func (d decoder) outbox() OutboxConfig {
	o := OutboxConfig{PollInterval: d.duration("outbox.poll_interval")}

	const globalFix = "use messages per second above 0 and at most 30, such as 25"
	if rate, ok := d.number("outbox.global_rate", globalFix); ok {
		if rate <= 0 || rate > maxGlobalRate {
			d.p.add("outbox.global_rate", "%g is out of range: %s", rate, globalFix)
		}
		o.GlobalRate = rate
	}

	const chatFix = "use messages per second above 0 and at most outbox.global_rate, such as 1"
	if rate, ok := d.number("outbox.chat_rate", chatFix); ok {
		if rate <= 0 || (o.GlobalRate > 0 && rate > o.GlobalRate) {
			d.p.add("outbox.chat_rate", "%g is out of range: %s", rate, chatFix)
		}
		o.ChatRate = rate
	}

	const attemptsFix = "use a whole number of at least 1, such as 8"
	if attempts, ok := d.integer("outbox.max_attempts", "whole number", attemptsFix); ok {
		if attempts < 1 {
			d.p.add("outbox.max_attempts", "%d is too small: %s", attempts, attemptsFix)
		}
		o.MaxAttempts = attempts
	}
	return o
}

func (d decoder) reconciler() ReconcilerConfig {
	return ReconcilerConfig{
		PendingAge: d.duration("reconciler.pending_age"),
		Interval:   d.duration("reconciler.interval"),
	}
}
