package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/subosito/gotenv"
)

// readDotEnv parses the .env file at path into a map without changing the
// process environment. A missing file yields an empty map. gotenv expands
// $NAME and ${NAME} in unquoted and double-quoted values from the process
// environment first, then from earlier lines of the file, and never from
// LoadOptions.Getenv.
//
// gotenv's parse errors quote the offending line, which may hold a secret,
// so the returned error names the line number only and does not wrap them.
func readDotEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}

	env, err := gotenv.StrictParse(bytes.NewReader(data))
	if err == nil {
		return env, nil
	}

	const fix = "write each line as NAME=value, quote values that contain spaces " +
		"and close every quote"
	if line := dotEnvErrorLine(data, err); line > 0 {
		return nil, fmt.Errorf("config: parse %s: line %d is not valid: %s", path, line, fix)
	}
	return nil, fmt.Errorf("config: parse %s: %s", path, fix)
}

// dotEnvErrorLine returns the 1-based line where gotenv failed, or 0 when
// it cannot be found. It reparses growing prefixes of the file. For an
// unclosed quote, the culprit is the line after the longest prefix that
// still parses. For other errors, it is the end of the shortest prefix that
// fails with the same error.
func dotEnvErrorLine(data []byte, parseErr error) int {
	normalised := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(strings.ReplaceAll(normalised, "\r", "\n"), "\n")
	parse := func(n int) error {
		_, err := gotenv.StrictParse(strings.NewReader(strings.Join(lines[:n], "\n")))
		return err
	}

	if parseErr.Error() == "missing quotes" {
		for n := len(lines) - 1; n >= 0; n-- {
			if parse(n) == nil {
				return n + 1
			}
		}
		return 0
	}

	for n := 1; n <= len(lines); n++ {
		if err := parse(n); err != nil && err.Error() == parseErr.Error() {
			return n
		}
	}
	return 0
}
