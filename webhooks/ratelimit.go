package webhooks

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

const (
	// maxRateLimitedClients bounds the memory of the rate limiter. When a
	// new client arrives at the bound, the client seen longest ago is
	// forgotten and starts again with a full burst on its next request.
	maxRateLimitedClients = 10_000
	// minClientIdleTime is the minimum time a client's state is kept after
	// its last request. It is longer than rateLimitWarnInterval, so a client
	// that keeps being limited gets at most one warning per interval.
	minClientIdleTime = 3 * time.Minute
	// maxClientIdleTime bounds how long a client's state is kept after its
	// last request. It applies only when burst divided by the rate is more
	// than a day.
	maxClientIdleTime = 24 * time.Hour
	// rateLimitWarnInterval is the minimum time between two warnings about
	// the same client.
	rateLimitWarnInterval = time.Minute
	// ipv6RateLimitPrefix is the prefix length that groups IPv6 clients,
	// because one subscriber usually holds a whole /64.
	ipv6RateLimitPrefix = 64
)

// rateLimiter keeps one token bucket per client key, in least recently
// seen order so that idle clients are pruned from the back.
//
// Echo's RateLimiterMemoryStore is not used because its map has no size
// bound (only entries idle for ExpiresIn are dropped, so many distinct IPs
// grow it without limit) and its Allow returns no delay for Retry-After.
type rateLimiter struct {
	limit    rate.Limit
	burst    int
	idleTime time.Duration
	capacity int
	now      func() time.Time

	mu      sync.Mutex
	clients map[string]*list.Element
	order   *list.List // of *clientBucket, most recently seen first
}

// clientBucket is the rate limiting state of one client key.
type clientBucket struct {
	key        string
	limiter    *rate.Limiter
	lastSeen   time.Time
	lastWarned time.Time
	// suppressed counts rejections since lastWarned that were not logged.
	suppressed int
}

// rateDecision is the result of rateLimiter.allow.
type rateDecision struct {
	allowed bool
	// retryAfter is the wait in whole seconds, at least 1, until the next
	// request would be allowed.
	retryAfter int
	// warn is true for the first rejection of a client per
	// rateLimitWarnInterval, and suppressed counts the rejections of that
	// client that were not logged since the previous warning.
	warn       bool
	suppressed int
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	// A bucket left alone for burst/perSecond seconds is full again. The
	// bound keeps the conversion to time.Duration in range for tiny rates.
	refillSeconds := min(float64(burst)/perSecond, maxClientIdleTime.Seconds())
	idleTime := max(time.Duration(refillSeconds*float64(time.Second)), minClientIdleTime)

	return &rateLimiter{
		limit:    rate.Limit(perSecond),
		burst:    burst,
		idleTime: idleTime,
		capacity: maxRateLimitedClients,
		now:      time.Now,
		clients:  make(map[string]*list.Element),
		order:    list.New(),
	}
}

// allow takes one token from the bucket of key.
func (l *rateLimiter) allow(key string) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	l.pruneIdle(now)
	bucket := l.bucket(key, now)

	if bucket.limiter.AllowN(now, 1) {
		return rateDecision{allowed: true}
	}

	decision := rateDecision{retryAfter: l.retryAfterSeconds(bucket.limiter, now)}
	if bucket.lastWarned.IsZero() || now.Sub(bucket.lastWarned) >= rateLimitWarnInterval {
		decision.warn = true
		decision.suppressed = bucket.suppressed
		bucket.lastWarned = now
		bucket.suppressed = 0
	} else {
		bucket.suppressed++
	}
	return decision
}

// bucket returns the bucket of key, marked as seen now. A new bucket evicts
// the least recently seen one when the limiter is full.
func (l *rateLimiter) bucket(key string, now time.Time) *clientBucket {
	if element, ok := l.clients[key]; ok {
		l.order.MoveToFront(element)
		bucket := element.Value.(*clientBucket)
		bucket.lastSeen = now
		return bucket
	}

	if l.order.Len() >= l.capacity {
		l.remove(l.order.Back())
	}
	bucket := &clientBucket{
		key:      key,
		limiter:  rate.NewLimiter(l.limit, l.burst),
		lastSeen: now,
	}
	l.clients[key] = l.order.PushFront(bucket)
	return bucket
}

// pruneIdle removes clients idle for longer than idleTime. Their buckets
// have refilled by then, so removing them changes no decision.
func (l *rateLimiter) pruneIdle(now time.Time) {
	for element := l.order.Back(); element != nil; element = l.order.Back() {
		if now.Sub(element.Value.(*clientBucket).lastSeen) <= l.idleTime {
			return
		}
		l.remove(element)
	}
}

func (l *rateLimiter) remove(element *list.Element) {
	delete(l.clients, element.Value.(*clientBucket).key)
	l.order.Remove(element)
}

// size returns the number of clients tracked.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// retryAfterSeconds returns the whole seconds, at least 1, until limiter
// holds a token again, as the Retry-After header carries them.
func (l *rateLimiter) retryAfterSeconds(limiter *rate.Limiter, now time.Time) int {
	missing := 1 - limiter.TokensAt(now)
	seconds := math.Ceil(missing / float64(l.limit))
	return int(min(max(seconds, 1), maxClientIdleTime.Seconds()))
}

// rateLimitKey returns the bucket key of a client IP: the address itself
// for IPv4 and its /64 network for IPv6. An unparsable value is its own key.
func rateLimitKey(clientIP string) string {
	ip := net.ParseIP(clientIP)
	if ip == nil {
		return clientIP
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	network := ip.Mask(net.CIDRMask(ipv6RateLimitPrefix, 128))
	return network.String() + "/" + strconv.Itoa(ipv6RateLimitPrefix)
}

// limitRate returns a middleware that takes one token per request from
// limiter and responds 429 with Retry-After to a client IP over the rate
// limit. It logs one warning per client per rateLimitWarnInterval and
// counts the rejections in between in the suppressed field.
func (s *Server) limitRate(limiter *rateLimiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			clientIP := c.RealIP()
			decision := limiter.allow(rateLimitKey(clientIP))
			if decision.allowed {
				return next(c)
			}

			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(decision.retryAfter))
			if decision.warn {
				s.requestLogger(c).Warn("Rate limit exceeded",
					"remote_ip", clientIP,
					"path", loggedPath(c.Request().URL.Path),
					"retry_after", decision.retryAfter,
					"suppressed", decision.suppressed)
			}
			return newAPIError(http.StatusTooManyRequests, "rate_limited",
				"too many requests from this address, retry after the Retry-After delay")
		}
	}
}
