package store

import (
	"context"
	"testing"
	"time"
)

// droppedChat stores user 10 in chat 10 and queues messages of every kind
// for that chat, which a 403 answer then dropped. It returns the messages
// in queue order.
func droppedChat(t *testing.T, s *Store) []*OutboxMessage {
	t.Helper()
	ctx := context.Background()
	if err := s.UpsertUser(ctx, &User{ID: 10, ChatID: 10, FirstName: "Ann"}); err != nil {
		t.Fatal(err)
	}
	var queued []*OutboxMessage
	for _, kind := range []string{MessagePaid, MessageAdmin, MessageRefunded, MessageFailed, MessageExpired} {
		msg, err := s.EnqueueMessage(ctx, 10, "ORD-"+kind, kind, MessagePayload{Text: "admin text"})
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, msg)
	}
	if err := s.MarkMessageRetry(ctx, queued[0].ID, time.Now().Add(time.Hour), "timeout"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkChatUnreachable(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropPendingMessages(ctx, 10, "Forbidden: bot was blocked by the user"); err != nil {
		t.Fatal(err)
	}
	return queued
}

func messageByID(t *testing.T, s *Store, id uint) OutboxMessage {
	t.Helper()
	var msg OutboxMessage
	if err := s.db.First(&msg, "id = ?", id).Error; err != nil {
		t.Fatalf("read outbox message %d: %v", id, err)
	}
	return msg
}

func TestUpsertUserAndRequeue_UnreachableUserGetsBuyerMessages(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	queued := droppedChat(t, s)
	other, err := s.EnqueueMessage(ctx, 20, "ORD-OTHER", MessagePaid, MessagePayload{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropPendingMessages(ctx, 20, "blocked"); err != nil {
		t.Fatal(err)
	}

	before := time.Now().UTC()
	requeued, err := s.UpsertUserAndRequeue(ctx, &User{ID: 10, ChatID: 10, FirstName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if requeued != 4 {
		t.Errorf("requeued = %d, want 4 (every kind but admin)", requeued)
	}
	for _, msg := range queued {
		stored := messageByID(t, s, msg.ID)
		want := OutboxPending
		if msg.Kind == MessageAdmin {
			want = OutboxDropped
		}
		if stored.Status != want {
			t.Errorf("%s message status = %s, want %s", msg.Kind, stored.Status, want)
		}
		if want == OutboxPending && stored.Attempts != 0 {
			t.Errorf("%s message attempts = %d, want 0", msg.Kind, stored.Attempts)
		}
		if want == OutboxPending && stored.NextAttemptAt.Before(before.Add(-time.Second)) {
			t.Errorf("%s message due at %s, want now", msg.Kind, stored.NextAttemptAt)
		}
	}
	if stored := messageByID(t, s, other.ID); stored.Status != OutboxDropped {
		t.Errorf("other chat's message status = %s, want dropped", stored.Status)
	}
	user, err := s.GetUser(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if user.Unreachable {
		t.Error("user still unreachable after writing again")
	}

	due, err := s.ListDueMessages(ctx, time.Now().Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].ID != queued[0].ID {
		t.Errorf("due = %+v, want the oldest requeued message %d first", due, queued[0].ID)
	}
}

func TestUpsertUserAndRequeue_ReachableUserRequeuesNothing(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	queued := droppedChat(t, s)
	if _, err := s.UpsertUserAndRequeue(ctx, &User{ID: 10, ChatID: 10}); err != nil {
		t.Fatal(err)
	}

	// The user is reachable now, so writing again changes nothing more.
	if _, err := s.DropPendingMessages(ctx, 10, "dropped by hand"); err != nil {
		t.Fatal(err)
	}
	requeued, err := s.UpsertUserAndRequeue(ctx, &User{ID: 10, ChatID: 10})
	if err != nil {
		t.Fatal(err)
	}
	if requeued != 0 {
		t.Errorf("requeued = %d, want 0 for a reachable user", requeued)
	}
	if stored := messageByID(t, s, queued[0].ID); stored.Status != OutboxDropped {
		t.Errorf("status = %s, want dropped", stored.Status)
	}
}

func TestUpsertUserAndRequeue_NewUser(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	requeued, err := s.UpsertUserAndRequeue(ctx, &User{ID: 30, ChatID: 30, LanguageCode: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if requeued != 0 {
		t.Errorf("requeued = %d, want 0", requeued)
	}
	if _, err := s.GetUser(ctx, 30); err != nil {
		t.Errorf("new user not stored: %v", err)
	}
}
