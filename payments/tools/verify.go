package tools

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"telegram-bot-webhook/payments"
)

// maxBodySize is the largest body verify reads, the same limit the server
// applies to notifications.
const maxBodySize = 1 << 20

const verifyUsage = `Usage: verify [file]

Reads a PingPong notification body from file, or from standard input when
file is missing or "-", and checks its signature with PINGPONG_WEBHOOK_SECRET.
A valid body prints "signature valid" with the event it reports. An invalid
one prints the signed text with the salt left out, the first 8 characters of
the expected sign, the received sign, a fingerprint of the salt, and the
likely cause, found by trying the common signing mistakes. The command exits
with status 1 for an invalid body, and for a valid one the server rejects
anyway, such as one whose accId or clientId differ from PINGPONG_ACC_ID or
PINGPONG_CLIENT_ID.
`

// Verify checks the signature of the notification body in the file named
// by args, or on stdin, and writes the result to stdout. It returns nil
// only for a body the server accepts. An invalid signature returns an error
// wrapping payments.ErrBadSignature after the report is written, and a body
// the server rejects for its format wraps payments.ErrMalformed. A body
// signed correctly for another store returns an error naming the differing
// ids.
func Verify(ctx context.Context, s Settings, args []string, stdin io.Reader, stdout io.Writer) error {
	path, err := parseVerifyArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.Salt == "" {
		return errors.New("verify: PINGPONG_WEBHOOK_SECRET is not set: set it to the secret key " +
			"of the store in the PingPong back office")
	}

	body, source, err := readBody(path, stdin)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	parsed, err := parseBody(body)
	if err != nil {
		return fmt.Errorf("verify %s: %w: %w", source, payments.ErrMalformed, err)
	}

	env, err := payments.ParseEnvelope(body)
	if err == nil && env.Verify(s.Salt) == nil {
		return reportValid(stdout, body, s)
	}
	return reportInvalid(stdout, parsed, s)
}

// parseVerifyArgs returns the file argument, "" for stdin.
func parseVerifyArgs(args []string, stdout io.Writer) (string, error) {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	flags.SetOutput(stdout)
	flags.Usage = func() { fmt.Fprint(flags.Output(), verifyUsage) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", fmt.Errorf("verify: %w", err)
	}

	switch flags.NArg() {
	case 0:
		return "", nil
	case 1:
		if flags.Arg(0) == "-" {
			return "", nil
		}
		return flags.Arg(0), nil
	default:
		return "", fmt.Errorf("verify: want at most one file, got %d arguments: %q", flags.NArg(), flags.Args())
	}
}

// readBody reads the body from the file, or from stdin when path is "".
// It returns the body and a name for it in messages.
func readBody(path string, stdin io.Reader) ([]byte, string, error) {
	source := path
	reader := stdin
	if path == "" {
		source = "standard input"
	} else {
		file, err := os.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("verify: open the body file: %w", err)
		}
		defer file.Close()
		reader = file
	}

	body, err := io.ReadAll(io.LimitReader(reader, maxBodySize+1))
	if err != nil {
		return nil, "", fmt.Errorf("verify: read %s: %w", source, err)
	}
	if len(body) > maxBodySize {
		return nil, "", fmt.Errorf("verify: %s is larger than %d bytes, more than a notification can be",
			source, maxBodySize)
	}
	return body, source, nil
}

// reportValid writes "signature valid" and the event the body reports. A
// body that is signed correctly but that the server rejects, because it is
// not a notification or is for another store (accId or clientId differ from
// the settings), returns an error.
func reportValid(stdout io.Writer, body []byte, s Settings) error {
	n, err := payments.ParseNotification(body, s.Salt)
	p := &linePrinter{w: stdout}
	if err != nil {
		p.printf("signature valid, but the body is not a notification the server accepts: %v\n", err)
		return fmt.Errorf("verify: signature valid, but the body is not a notification: %w", err)
	}

	p.printf("signature valid (%s)\n", n.SignType)
	p.printf("notifyType: %s\n", n.NotifyType)
	p.printf("status:     %s\n", n.Status)
	p.printf("order:      %s\n", n.MerchantTransactionID)
	p.printf("amount:     %s %s\n", n.Amount, n.Currency)
	if n.RefundID != "" {
		p.printf("refundId:   %s\n", n.RefundID)
	}
	if n.ResultDescription != "" {
		p.printf("reason:     %s\n", n.ResultDescription)
	}

	fields := &receivedBody{fields: []bodyField{
		{key: "accId", value: n.AccID, kind: "string"},
		{key: "clientId", value: n.ClientID, kind: "string"},
	}}
	problems := storeMismatch(fields, s)
	if len(problems) > 0 {
		p.printf("\nThe server rejects this body although its signature is valid:\n")
		for _, problem := range problems {
			p.printf("  - %s\n", problem)
		}
	}
	if p.err != nil {
		return fmt.Errorf("verify: write the report: %w", p.err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: signature valid, but the server rejects the body: %s. If PingPong "+
			"sent this body, set PINGPONG_ACC_ID and PINGPONG_CLIENT_ID to the ids of the store whose "+
			"secret key is in PINGPONG_WEBHOOK_SECRET, as the PingPong back office shows them",
			strings.Join(problems, "; "))
	}
	return nil
}

// reportInvalid writes the diagnosis and returns an error naming the most
// likely cause.
func reportInvalid(stdout io.Writer, body *receivedBody, s Settings) error {
	d := diagnose(body, s)
	var causes []cause
	if !d.signMatches() {
		causes = d.causes(body, s)
	}
	if err := d.print(stdout, s, causes); err != nil {
		return fmt.Errorf("verify: write the report: %w", err)
	}

	if d.signMatches() {
		problem := "the body is not in PingPong's format"
		if len(d.problems) > 0 {
			problem = d.problems[0]
		}
		return fmt.Errorf("verify: %w: the sign matches, but %s", payments.ErrMalformed, problem)
	}
	return fmt.Errorf("verify: %w: %s", payments.ErrBadSignature, causes[0].summary)
}
