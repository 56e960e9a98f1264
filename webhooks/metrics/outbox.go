package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// outboxCollector reads the outbox backlog from the database at scrape
// time, so the numbers survive restarts and need no bookkeeping.
type outboxCollector struct {
	stats   OutboxStats
	pending *prometheus.Desc
	age     *prometheus.Desc
}

func newOutboxCollector(stats OutboxStats) *outboxCollector {
	return &outboxCollector{
		stats: stats,
		pending: prometheus.NewDesc(namespace+"_outbox_pending_messages",
			"Outbox messages waiting to be sent.", nil, nil),
		age: prometheus.NewDesc(namespace+"_outbox_oldest_pending_age_seconds",
			"Age of the oldest pending outbox message, 0 when none is pending.", nil, nil),
	}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.age
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pending, oldest, err := c.stats.OutboxBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pending, err)
		return
	}
	age := 0.0
	if pending > 0 && !oldest.IsZero() {
		age = time.Since(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
}
