package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// LoadOptions sets where Load looks for its sources. The zero value reads
// the process environment and the current directory.
type LoadOptions struct {
	// Getenv looks up one environment variable. nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// WorkDir contains the optional .env file and the default
	// configs/config.yaml. A relative CONFIG_FILE is resolved against it.
	// "" means the current directory.
	WorkDir string
}

// Load reads and validates the configuration. Sources are applied in this
// order, each overriding the ones before it:
//
//  1. Built-in defaults.
//  2. The YAML file named by CONFIG_FILE, or configs/config.yaml when that
//     file exists.
//  3. The .env file in WorkDir, when it exists.
//  4. Environment variables.
//
// An environment variable or .env entry set to an empty string counts as
// unset, so it cannot clear a value from the YAML file. Load never changes
// the process environment. A validation failure returns a *ValidationError
// listing every problem at once.
func Load(opts LoadOptions) (*Config, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.WorkDir == "" {
		opts.WorkDir = "."
	}

	dotEnv, err := readDotEnv(filepath.Join(opts.WorkDir, ".env"))
	if err != nil {
		return nil, err
	}
	lookup := func(name string) (string, bool) {
		if value, ok := opts.Getenv(name); ok && value != "" {
			return value, true
		}
		value, ok := dotEnv[name]
		return value, ok && value != ""
	}

	path, data, err := readConfigFile(opts.WorkDir, lookup)
	if err != nil {
		return nil, err
	}

	v, err := mergeSources(path, data, lookup)
	if err != nil {
		return nil, err
	}
	return decodeConfig(v, path, data)
}

// readConfigFile returns the YAML file's path and content. A missing default
// file yields no content and no error, while a missing file named by
// CONFIG_FILE is an error.
func readConfigFile(workDir string, lookup func(string) (string, bool)) (string, []byte, error) {
	path, explicit := lookup(configFileEnv)
	if !explicit {
		path = defaultConfigFile
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(workDir, path)
	}

	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		return path, data, nil
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return "", nil, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, fmt.Errorf("config: read %s %s: file not found, "+
			"so fix the path or unset %s to use %s: %w",
			configFileEnv, path, configFileEnv, defaultConfigFile, err)
	default:
		return "", nil, fmt.Errorf("config: read %s: %w", path, err)
	}
}

// mergeSources layers defaults, the YAML content and the environment in one
// viper instance. Each environment variable is set on its nested key
// explicitly, so it overrides that key inside a YAML section.
func mergeSources(path string, data []byte, lookup func(string) (string, bool)) (*viper.Viper, error) {
	v := viper.New()
	for _, s := range settings {
		v.SetDefault(s.key, s.def)
	}

	if data != nil {
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("config: parse YAML file %s: %w", path, err)
		}
	}

	for _, s := range settings {
		if value, ok := lookup(s.env); ok {
			v.Set(s.key, value)
		}
	}
	return v, nil
}

// decodeConfig converts and validates every setting, collecting all
// problems before returning.
func decodeConfig(v *viper.Viper, path string, data []byte) (*Config, error) {
	var p problems
	checkUnknownKeys(v, path, &p)

	d := decoder{v: v, p: &p}
	cfg := &Config{File: path}
	cfg.AppEnv = d.choice("app.env", "supported environment", AppEnvDevelopment, AppEnvProduction)
	cfg.Telegram = d.telegram()
	cfg.Server = d.server(cfg.Telegram.Mode)
	cfg.PingPong = d.pingPong()
	cfg.Database = d.database()
	cfg.Log = d.log()
	cfg.Outbox = d.outbox()
	cfg.Reconciler = d.reconciler()
	cfg.Products = decodeProducts(data, &p)
	d.checkEnvironment(cfg)

	if err := p.err(cfg.Secrets()); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkUnknownKeys reports YAML keys that no setting reads, which are
// usually misspellings that would otherwise be ignored silently.
func checkUnknownKeys(v *viper.Viper, path string, p *problems) {
	known := map[string]bool{productsKey: true}
	sections := make(map[string]bool)
	for _, s := range settings {
		known[s.key] = true
		section, _, _ := strings.Cut(s.key, ".")
		sections[section] = true
	}

	keys := v.AllKeys()
	sort.Strings(keys)
	for _, key := range keys {
		switch {
		case known[key]:
		case sections[key]:
			// A section whose keys are all commented out is null in YAML.
			if _, isMap := v.Get(key).(map[string]any); v.Get(key) != nil && !isMap {
				p.addLine("%s in %s must be a section of settings, not a single value", key, path)
			}
		default:
			p.addLine("%s in %s is not a setting: fix its spelling or remove it", key, path)
		}
	}
}
