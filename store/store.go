// Package store keeps users, orders, received PingPong notifications and the
// outbox of Telegram messages in one SQLite database through GORM.
//
// Lookups that find nothing return ErrNotFound, never gorm.ErrRecordNotFound,
// so callers outside this package do not depend on GORM.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: record not found")

// ErrDuplicate is returned when an insert breaks a unique index, such as a
// second notification with an event key already stored.
var ErrDuplicate = errors.New("store: duplicate record")

// busyTimeout is how long SQLite waits for a lock held by another connection
// before it returns SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// maxBusyRetries bounds how often Transaction runs a function again after
// SQLite still reported the database as busy or locked.
const maxBusyRetries = 5

// Store is the application's database. Its methods are safe for concurrent
// use. A Store returned by Transaction's callback runs inside that
// transaction.
type Store struct {
	db *gorm.DB
}

// Open opens the SQLite database at path, creating its directory and the
// file if needed, turns on WAL, the busy timeout and foreign keys, and
// migrates the schema.
func Open(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create database directory %q: %w", dir, err)
		}
	}

	// _txlock=immediate takes the write lock when a transaction begins, so
	// two writers never deadlock on a lock upgrade and the busy timeout
	// applies to both.
	dsn := fmt.Sprintf(
		"file:%s?_journal_mode=WAL&_busy_timeout=%d&_foreign_keys=on&_txlock=immediate&_synchronous=NORMAL",
		path, busyTimeout.Milliseconds(),
	)
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("store: open database %q: %w", path, err)
	}

	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open database %q: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)

	s := &Store{db: db}
	if err := s.migrate(); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate() error {
	err := s.db.AutoMigrate(&User{}, &Order{}, &Notification{}, &OutboxMessage{}, &Refund{})
	if err != nil {
		return fmt.Errorf("store: migrate schema: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close database: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("store: close database: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping database: %w", err)
	}
	return nil
}

// Transaction runs fn inside one database transaction: everything fn does
// through tx commits together, or nothing does when fn returns an error.
// When SQLite reports the database busy or locked, fn runs again from the
// start, up to maxBusyRetries times, so fn must not have side effects outside
// the database.
func (s *Store) Transaction(ctx context.Context, fn func(tx *Store) error) error {
	var err error
	for attempt := 0; attempt <= maxBusyRetries; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
			return fn(&Store{db: gtx})
		})
		if !IsBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return err
}

// IsBusy reports whether err is SQLite's "database is busy" or "database is
// locked", which a later attempt may not meet.
func IsBusy(err error) bool {
	var sqliteErr sqlite3.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code == sqlite3.ErrBusy || sqliteErr.Code == sqlite3.ErrLocked
	}
	return false
}

func (s *Store) with(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx)
}

// translate turns GORM's errors into this package's sentinels.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	default:
		return err
	}
}

func gormExpr(sql string) clause.Expr {
	return gorm.Expr(sql)
}
