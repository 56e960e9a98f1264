package tools

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Simulated event kinds, the first argument of simulate.
const (
	KindPaid     = "paid"
	KindFailed   = "failed"
	KindRefunded = "refunded"
)

const simulateUsage = `Usage: simulate paid|failed|refunded --order ID [flags]

Posts a PingPong notification for a stored order to the running server,
signed with PINGPONG_WEBHOOK_SECRET and PINGPONG_SIGN_TYPE the way PingPong
signs it, and prints the server's response and what became of the event
(the X-Notification-Outcome header). It exits with status 1 when the server
did not apply the event: outcome rejected, unknown_order, bad_signature or
malformed, or a response PingPong would send again.

  paid      RECHARGE SUCCESS: the buyer paid
  failed    RECHARGE FAILED: the payment was declined (the buyer may retry)
  refunded  REFUND SUCCESS: money went back to the buyer

Flags:
`

// simulateOptions are the parsed arguments of simulate.
type simulateOptions struct {
	kind     string
	order    string
	amount   string
	currency string
	url      string
	reason   string
	refundID string
	force    bool
}

// Simulate posts a signed notification for a stored order to the server and
// writes the event and the server's response to stdout. Usage and flag
// errors go to stderr. It returns an error for bad arguments, an order not
// in the database, a refund over the amount left to refund (without
// --force), a failed request, a response other than 2xx, and an outcome
// that left the order unchanged because the server rejected the event.
func Simulate(ctx context.Context, s Settings, args []string, stdout, stderr io.Writer) error {
	opts, err := parseSimulateArgs(args, s, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := checkSigningSettings(s); err != nil {
		return err
	}

	event, err := loadEvent(ctx, s.DatabasePath, opts)
	if err != nil {
		return err
	}
	body, err := event.build(s)
	if err != nil {
		return err
	}

	p := &linePrinter{w: stdout}
	event.describe(p)
	p.printf("POST %s\n", opts.url)
	if p.err != nil {
		return fmt.Errorf("simulate: write the output: %w", p.err)
	}
	resp, err := post(ctx, opts.url, body, stdout)
	if err != nil {
		return err
	}
	return checkResponse(p, resp, event, simulateTarget{opts: opts, settings: s})
}

func parseSimulateArgs(args []string, s Settings, stderr io.Writer) (simulateOptions, error) {
	var opts simulateOptions
	flags := flag.NewFlagSet("simulate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&opts.order, "order", "",
		"order id (merchantTransactionId) as the bot shows it, required")
	flags.StringVar(&opts.amount, "amount", "",
		"amount as a decimal in major units, such as 9.99 for USD or 1000 for JPY\n"+
			"(default: the order's amount; for refunded, the amount of the refund requested in\n"+
			"the bot, else the amount not yet refunded)")
	flags.StringVar(&opts.currency, "currency", "",
		"ISO 4217 currency code, such as USD; needs --amount when it differs from the order's\n"+
			"(default: the order's currency)")
	flags.StringVar(&opts.url, "url", s.LocalURL, "notification URL of the running server")
	flags.StringVar(&opts.reason, "reason", "",
		"failure reason sent as resultDescription, for failed only (default \""+defaultFailureReason+"\")")
	flags.StringVar(&opts.refundID, "refund-id", "",
		"PingPong refundId, for refunded only (default: a generated id)")
	flags.BoolVar(&opts.force, "force", false,
		"for refunded only: send the refund even when its amount is more than is left to refund\n"+
			"on the order, to test that the server rejects it")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), simulateUsage)
		flags.PrintDefaults()
	}

	// The kind may come before or after the flags.
	rest := args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		opts.kind, rest = args[0], args[1:]
	}
	if err := flags.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opts, err
		}
		return opts, fmt.Errorf("simulate: %w", err)
	}
	positional := flags.Args()
	if opts.kind == "" && len(positional) > 0 {
		opts.kind, positional = positional[0], positional[1:]
	}
	if len(positional) > 0 {
		return opts, fmt.Errorf("simulate: unexpected arguments %q: put flags such as --order "+
			"before or after the event kind", positional)
	}
	return opts, checkSimulateOptions(opts)
}

func checkSimulateOptions(opts simulateOptions) error {
	switch opts.kind {
	case KindPaid, KindFailed, KindRefunded:
	case "":
		return fmt.Errorf("simulate: missing event kind: use %s, %s or %s", KindPaid, KindFailed, KindRefunded)
	default:
		return fmt.Errorf("simulate: unknown event kind %q: use %s, %s or %s",
			opts.kind, KindPaid, KindFailed, KindRefunded)
	}

	if strings.TrimSpace(opts.order) == "" {
		return errors.New("simulate: missing --order: give the order id the bot showed, " +
			"such as --order ORD20261204-XRG7S74LKX")
	}
	if opts.reason != "" && opts.kind != KindFailed {
		return fmt.Errorf("simulate: --reason applies only to %s", KindFailed)
	}
	if opts.refundID != "" && opts.kind != KindRefunded {
		return fmt.Errorf("simulate: --refund-id applies only to %s", KindRefunded)
	}
	if opts.force && opts.kind != KindRefunded {
		return fmt.Errorf("simulate: --force applies only to %s", KindRefunded)
	}
	if opts.url == "" {
		return errors.New("simulate: missing --url: give the server's notification URL, " +
			"such as http://127.0.0.1:8000/webhook/pingpong")
	}
	return checkURL(opts.url)
}

// checkSigningSettings checks what building a signed notification needs.
func checkSigningSettings(s Settings) error {
	var missing []string
	if s.AccID == "" {
		missing = append(missing, "PINGPONG_ACC_ID")
	}
	if s.ClientID == "" {
		missing = append(missing, "PINGPONG_CLIENT_ID")
	}
	if s.Salt == "" {
		missing = append(missing, "PINGPONG_WEBHOOK_SECRET")
	}
	if s.DatabasePath == "" {
		missing = append(missing, "DATABASE_PATH")
	}
	if len(missing) > 0 {
		return fmt.Errorf("simulate: %s not set: use the values the server runs with",
			strings.Join(missing, ", "))
	}
	return nil
}
