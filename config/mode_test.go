package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_ModeDefaults(t *testing.T) {
	cfg := mustLoad(t, workDirWithYAML(t, minimalYAML), withToken(nil))

	if cfg.PingPong.Mode != PingPongModeSandbox {
		t.Errorf("PingPong.Mode = %q, want %q", cfg.PingPong.Mode, PingPongModeSandbox)
	}
	if cfg.AppEnv != AppEnvDevelopment {
		t.Errorf("AppEnv = %q, want %q", cfg.AppEnv, AppEnvDevelopment)
	}
}

func TestLoad_ModeFromEnvironment(t *testing.T) {
	cfg := mustLoad(t, workDirWithYAML(t, minimalYAML), withToken(map[string]string{
		"PINGPONG_MODE": "Local",
		"APP_ENV":       "DEVELOPMENT",
	}))

	if cfg.PingPong.Mode != PingPongModeLocal {
		t.Errorf("PingPong.Mode = %q, want %q", cfg.PingPong.Mode, PingPongModeLocal)
	}
	if cfg.AppEnv != AppEnvDevelopment {
		t.Errorf("AppEnv = %q, want %q", cfg.AppEnv, AppEnvDevelopment)
	}
}

func TestLoad_ModeFromYAML(t *testing.T) {
	yaml := "app:\n  env: production\n" + minimalYAML
	cfg := mustLoad(t, workDirWithYAML(t, yaml), withToken(nil))

	if cfg.AppEnv != AppEnvProduction {
		t.Errorf("AppEnv = %q, want %q", cfg.AppEnv, AppEnvProduction)
	}
	if cfg.PingPong.Mode != PingPongModeSandbox {
		t.Errorf("PingPong.Mode = %q, want %q", cfg.PingPong.Mode, PingPongModeSandbox)
	}
}

func TestLoad_ModeInvalidValues(t *testing.T) {
	problems := loadProblems(t, workDirWithYAML(t, minimalYAML), withToken(map[string]string{
		"PINGPONG_MODE": "live",
		"APP_ENV":       "prod",
	}))

	assertProblem(t, problems,
		`pingpong.mode (PINGPONG_MODE) "live" is not a PingPong mode: use sandbox or local`)
	assertProblem(t, problems,
		`app.env (APP_ENV) "prod" is not a supported environment: use development or production`)
	if len(problems) != 2 {
		t.Errorf("got %d problems, want 2: %q", len(problems), problems)
	}
}

func TestLoad_ProductionRejectsLocalMode(t *testing.T) {
	problems := loadProblems(t, workDirWithYAML(t, minimalYAML), withToken(map[string]string{
		"PINGPONG_MODE": "local",
		"APP_ENV":       "production",
	}))

	if len(problems) != 1 {
		t.Fatalf("got %d problems, want 1: %q", len(problems), problems)
	}
	assertProblem(t, problems, `pingpong.mode (PINGPONG_MODE) "local" is not allowed while `+
		`app.env (APP_ENV) is "production"`)
	assertProblem(t, problems, "no money moves")
}

func TestLoad_ProductionAcceptsSandboxMode(t *testing.T) {
	cfg := mustLoad(t, workDirWithYAML(t, minimalYAML), withToken(map[string]string{
		"PINGPONG_MODE": "sandbox",
		"APP_ENV":       "production",
	}))

	if cfg.AppEnv != AppEnvProduction || cfg.PingPong.Mode != PingPongModeSandbox {
		t.Errorf("AppEnv, PingPong.Mode = %q, %q, want production, sandbox",
			cfg.AppEnv, cfg.PingPong.Mode)
	}
}

// TestLoad_CommittedFileInLocalMode checks that the repository's own
// configs/config.yaml, with its sandbox store ids and salt, starts in local
// mode once a bot token is set.
func TestLoad_CommittedFileInLocalMode(t *testing.T) {
	committed, err := filepath.Abs(filepath.Join("..", defaultConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(committed); err != nil {
		t.Fatalf("committed configuration file: %v", err)
	}

	cfg := mustLoad(t, t.TempDir(), withToken(map[string]string{
		"CONFIG_FILE":   committed,
		"PINGPONG_MODE": "local",
	}))

	if cfg.PingPong.Mode != PingPongModeLocal {
		t.Errorf("PingPong.Mode = %q, want %q", cfg.PingPong.Mode, PingPongModeLocal)
	}
	if cfg.PingPong.Salt == "" || cfg.PingPong.AccID == "" || cfg.PingPong.ClientID == "" {
		t.Error("the committed file has no PingPong store ids or salt for local mode to sign with")
	}
}

func TestConfigRedacted_ShowsModes(t *testing.T) {
	cfg := mustLoad(t, workDirWithYAML(t, minimalYAML), withToken(map[string]string{
		"PINGPONG_MODE": "local",
	}))

	text := cfg.Redacted()

	for _, line := range []string{"app.env: development\n", "pingpong.mode: local\n"} {
		if !strings.Contains(text, line) {
			t.Errorf("Redacted output has no line %q:\n%s", line, text)
		}
	}
}
