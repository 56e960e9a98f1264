package webhooks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// defaultReloadDelay is how long the certificate files must stay unchanged
// before they are reloaded. A renewal replaces several files in a row, and
// reloading between two of them would read a certificate with the old key.
const defaultReloadDelay = time.Second

// startReloads makes the server reload its TLS key pair on SIGHUP and after
// a file in the certificate or key directory changes, until ctx is done or
// the returned stop function is called. stop waits for the reload loop to
// end.
//
// SIGHUP is caught even without TLS, where it is logged and ignored, so that
// a reload signal never terminates the process.
func (s *Server) startReloads(ctx context.Context) (stop func()) {
	hangups := make(chan os.Signal, 1)
	signal.Notify(hangups, syscall.SIGHUP)

	var watcher *fsnotify.Watcher
	if s.certificates != nil {
		var err error
		watcher, err = s.watchCertificateDirectories()
		if err != nil {
			s.logger.Error("TLS certificate files are not watched, send SIGHUP to reload them",
				"error", err)
		}
	}

	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.runReloadLoop(loopCtx, hangups, watcher)
	}()

	return func() {
		signal.Stop(hangups)
		cancel()
		<-done
		if watcher != nil {
			if err := watcher.Close(); err != nil {
				s.logger.Debug("Closing the TLS certificate watcher failed", "error", err)
			}
		}
	}
}

// watchCertificateDirectories watches the directories rather than the files:
// certbot and Kubernetes replace certificates by renaming files or swapping
// symlinks, and a watch on the old file would never see the new one.
func (s *Server) watchCertificateDirectories() (*fsnotify.Watcher, error) {
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("webhooks: watch TLS certificate files: %w", err)
	}

	for _, dir := range s.certificates.directories() {
		if err := watcher.Add(dir); err != nil {
			return nil, errors.Join(
				fmt.Errorf("webhooks: watch TLS certificate directory %s: %w", dir, err),
				watcher.Close())
		}
	}

	s.logger.Info("Watching TLS certificate files",
		"cert_path", s.certificates.certPath,
		"key_path", s.certificates.keyPath)
	return watcher, nil
}

// runReloadLoop reloads the key pair on every SIGHUP and once the watched
// directories have been quiet for reloadDelay after a change. A nil watcher
// leaves only SIGHUP.
func (s *Server) runReloadLoop(ctx context.Context, hangups <-chan os.Signal, watcher *fsnotify.Watcher) {
	var events <-chan fsnotify.Event
	var watchErrors <-chan error
	if watcher != nil {
		events = watcher.Events
		watchErrors = watcher.Errors
	}

	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case <-hangups:
			s.handleHangup()
		case event, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			s.logCertificateEvent(event)
			quiet.Reset(s.reloadDelay)
		case err, ok := <-watchErrors:
			if !ok {
				watchErrors = nil
				continue
			}
			s.logger.Error("Watching TLS certificate files failed", "error", err)
			// Events were lost, so one of them may have been a renewal.
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				quiet.Reset(s.reloadDelay)
			}
		case <-quiet.C:
			_ = s.reloadCertificate("file change")
		}
	}
}

// handleHangup reloads the key pair after a SIGHUP. Errors are logged by
// reloadCertificate.
func (s *Server) handleHangup() {
	if s.certificates == nil {
		s.logger.Info("SIGHUP ignored, TLS is not configured")
		return
	}
	_ = s.reloadCertificate("SIGHUP")
}

// logCertificateEvent logs a change in a watched directory at Debug, and at
// Warn when the directory itself is gone, because no later change in it can
// be seen then.
func (s *Server) logCertificateEvent(event fsnotify.Event) {
	for _, dir := range s.certificates.directories() {
		if event.Name == dir && event.Has(fsnotify.Remove|fsnotify.Rename) {
			s.logger.Warn("TLS certificate directory removed or renamed, "+
				"later changes need SIGHUP or a restart",
				"dir", dir, "op", event.Op.String())
			return
		}
	}
	s.logger.Debug("TLS certificate directory changed", "file", event.Name, "op", event.Op.String())
}
