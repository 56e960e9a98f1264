package bot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"telegram-bot-webhook/store"
)

func TestSender_GlobalRateSpacesSends(t *testing.T) {
	clock := newSteppedClock()
	e := newEnv(t, func(o *Options) {
		o.Clock = clock
		o.Outbox.GlobalRate = 2
		o.Outbox.ChatRate = 1000
		o.Outbox.PollInterval = time.Hour
	})
	// Each wait is recorded with the number of sends made before it, so
	// the test can check where the limiter paused the sender.
	var sendsBeforeSleep []int
	clock.onSleep = func(time.Duration) {
		sendsBeforeSleep = append(sendsBeforeSleep, e.tg.Calls("sendMessage"))
	}
	const chats = 7
	for i := range chats {
		chatID := int64(5001 + i)
		enqueue(t, e.store, chatID, "", store.MessageAdmin, store.MessagePayload{Text: fmt.Sprintf("Notice %d", i)})
	}
	start := clock.Now()
	e.start(t)

	e.tg.WaitUntil(t, "a message to every chat", func() bool { return e.tg.Calls("sendMessage") == chats })
	if err := e.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// A rate of 2 per second allows a burst of 2, and then one send every
	// 500ms.
	sleeps := clock.Sleeps()
	if len(sleeps) != chats-2 {
		t.Fatalf("sleeps = %v, want %d waits for the global rate", sleeps, chats-2)
	}
	for i, d := range sleeps {
		if d != 500*time.Millisecond {
			t.Errorf("wait %d = %s, want 500ms at 2 messages per second", i+1, d)
		}
	}
	if want := []int{2, 3, 4, 5, 6}; !slices.Equal(sendsBeforeSleep, want) {
		t.Errorf("sends before each wait = %v, want %v", sendsBeforeSleep, want)
	}
	if elapsed := clock.Now().Sub(start); elapsed != 2500*time.Millisecond {
		t.Errorf("clock advanced %s, want 2.5s for %d messages at 2 per second", elapsed, chats)
	}
	for i := range chats {
		if msgs := e.tg.Messages(int64(5001 + i)); len(msgs) != 1 {
			t.Errorf("chat %d got %d messages, want 1", 5001+i, len(msgs))
		}
	}
}

func TestRetryDelay_DoublesUpToMax(t *testing.T) {
	cases := []struct {
		name      string
		base, max time.Duration
		attempt   int
		// delay is the backoff before jitter, which the result's upper
		// bound is.
		delay time.Duration
	}{
		{"first attempt", 2 * time.Second, 10 * time.Minute, 1, 2 * time.Second},
		{"second attempt", 2 * time.Second, 10 * time.Minute, 2, 4 * time.Second},
		{"ninth attempt", 2 * time.Second, 10 * time.Minute, 9, 512 * time.Second},
		{"tenth attempt capped", 2 * time.Second, 10 * time.Minute, 10, 10 * time.Minute},
		{"far past the cap", 2 * time.Second, 10 * time.Minute, 500, 10 * time.Minute},
		{"base above max", 20 * time.Minute, 10 * time.Minute, 1, 10 * time.Minute},
		{"odd nanoseconds", 3, time.Hour, 1, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSender(&Bot{}, Options{RetryBaseDelay: tc.base, RetryMaxDelay: tc.max})
			half := tc.delay / 2

			var ranges []int64
			s.jitter = func(n int64) int64 {
				ranges = append(ranges, n)
				return 0
			}
			if got := s.retryDelay(tc.attempt); got != half {
				t.Errorf("delay with the lowest jitter = %s, want %s", got, half)
			}
			if !slices.Equal(ranges, []int64{int64(half) + 1}) {
				t.Errorf("jitter ranges = %v, want [%d] to reach the upper bound", ranges, int64(half)+1)
			}

			s.jitter = func(n int64) int64 { return n - 1 }
			got := s.retryDelay(tc.attempt)
			if got > tc.delay {
				t.Errorf("delay with the highest jitter = %s, above the bound %s", got, tc.delay)
			}
			if got < tc.delay-1 {
				t.Errorf("delay with the highest jitter = %s, want %s (or 1ns less for an odd bound)", got, tc.delay)
			}
		})
	}
}

func TestRetryDelay_JitterSpreadsOverUpperHalf(t *testing.T) {
	const draws = 2000
	s := newSender(&Bot{}, Options{RetryBaseDelay: 2 * time.Second, RetryMaxDelay: 10 * time.Minute})
	s.jitter = rand.New(rand.NewPCG(1, 2)).Int64N

	for _, tc := range []struct {
		attempt int
		delay   time.Duration
	}{{1, 2 * time.Second}, {4, 16 * time.Second}, {12, 10 * time.Minute}} {
		low, high := tc.delay/2, tc.delay
		var values []time.Duration
		for range draws {
			got := s.retryDelay(tc.attempt)
			if got < low || got > high {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", tc.attempt, got, low, high)
			}
			values = append(values, got)
		}

		slices.Sort(values)
		if distinct := len(slices.Compact(slices.Clone(values))); distinct < draws*9/10 {
			t.Errorf("attempt %d: %d distinct delays in %d draws, want nearly all different", tc.attempt, distinct, draws)
		}
		span := high - low
		if values[0] > low+span/20 {
			t.Errorf("attempt %d: smallest delay %s, want one near the lower bound %s", tc.attempt, values[0], low)
		}
		if values[draws-1] < high-span/20 {
			t.Errorf("attempt %d: largest delay %s, want one near the upper bound %s", tc.attempt, values[draws-1], high)
		}
		if median := values[draws/2]; median < low+span*4/10 || median > low+span*6/10 {
			t.Errorf("attempt %d: median delay %s, want about %s for a uniform draw", tc.attempt, median, low+span/2)
		}
	}
}

func TestRetryDelay_DefaultJitterVaries(t *testing.T) {
	s := newSender(&Bot{}, Options{RetryBaseDelay: 2 * time.Second, RetryMaxDelay: 10 * time.Minute})
	seen := make(map[time.Duration]bool)
	for range 100 {
		got := s.retryDelay(3)
		if got < 4*time.Second || got > 8*time.Second {
			t.Fatalf("delay %s outside [4s, 8s]", got)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("100 delays took %d value(s), want the jitter to vary them", len(seen))
	}
}
