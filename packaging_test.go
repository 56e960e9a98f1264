package main

import (
	"os"
	"strings"
	"testing"
)

// The packaging files cannot be run here (no Docker engine, no systemd),
// so these tests pin the settings production relies on.

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestDockerfile_ProductionSettings(t *testing.T) {
	dockerfile := readRepoFile(t, "Dockerfile")
	if got := strings.Count(dockerfile, "\nFROM "); got < 2 {
		t.Errorf("FROM stages = %d, want a multi-stage build", got)
	}
	for _, want := range []string{
		"USER app", `VOLUME ["/app/data", "/app/logs"]`, "HEALTHCHECK", "/health",
		"DATABASE_PATH=/app/data/bot.db", "LOG_DIR=/app/logs", "CGO_ENABLED=1",
	} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

func TestComposeFile_SingleService(t *testing.T) {
	compose := readRepoFile(t, "docker-compose.yml")
	for _, want := range []string{"restart: unless-stopped", "env_file: .env", "bot-data:/app/data", "bot-logs:/app/logs"} {
		if !strings.Contains(compose, want) {
			t.Errorf("docker-compose.yml lacks %q", want)
		}
	}
}

func TestSystemdUnit_RestartAndHardening(t *testing.T) {
	unit := readRepoFile(t, "deploy/telegram-bot-webhook.service")
	for _, want := range []string{
		"Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID", "KillSignal=SIGTERM",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"StateDirectory=telegram-bot-webhook", "EnvironmentFile=",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("systemd unit lacks %q", want)
		}
	}
}
