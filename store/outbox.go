package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// EnqueueMessage queues a message for the chat. Call it inside the
// transaction that makes the change the message reports.
func (s *Store) EnqueueMessage(ctx context.Context, chatID int64, orderID, kind string, payload MessagePayload) (*OutboxMessage, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("store: encode %s message for order %s: %w", kind, orderID, err)
	}
	msg := &OutboxMessage{
		ChatID:                chatID,
		MerchantTransactionID: orderID,
		Kind:                  kind,
		Payload:               string(body),
		Status:                OutboxPending,
		NextAttemptAt:         time.Now().UTC(),
	}
	if err := s.with(ctx).Create(msg).Error; err != nil {
		return nil, fmt.Errorf("store: enqueue %s message for order %s: %w", kind, orderID, translate(err))
	}
	return msg, nil
}

// DecodePayload returns the message's payload.
func (m *OutboxMessage) DecodePayload() (MessagePayload, error) {
	var payload MessagePayload
	if m.Payload == "" {
		return payload, nil
	}
	if err := json.Unmarshal([]byte(m.Payload), &payload); err != nil {
		return payload, fmt.Errorf("store: decode payload of outbox message %d: %w", m.ID, err)
	}
	return payload, nil
}

// ListDueMessages returns pending messages whose next attempt is due, at
// most one per chat: the oldest queued one of that chat, so a chat's
// messages go out in the order they were queued.
func (s *Store) ListDueMessages(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	var list []OutboxMessage
	oldestPerChat := s.db.Model(&OutboxMessage{}).
		Select("MIN(id)").
		Where("status = ?", OutboxPending).
		Group("chat_id")
	err := s.with(ctx).
		Where("id IN (?) AND next_attempt_at <= ?", oldestPerChat, now.UTC()).
		Order("id ASC").
		Limit(limit).
		Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("store: list due outbox messages: %w", translate(err))
	}
	return list, nil
}

// NextMessageDue returns when the earliest pending message is due, or false
// when none is pending.
func (s *Store) NextMessageDue(ctx context.Context) (time.Time, bool, error) {
	var list []OutboxMessage
	err := s.with(ctx).
		Where("status = ?", OutboxPending).
		Order("next_attempt_at ASC").
		Limit(1).
		Find(&list).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: find next due outbox message: %w", translate(err))
	}
	if len(list) == 0 {
		return time.Time{}, false, nil
	}
	return list[0].NextAttemptAt, true, nil
}

// MarkMessageSent records a successful send.
func (s *Store) MarkMessageSent(ctx context.Context, id uint, at time.Time) error {
	return s.updateMessage(ctx, id, map[string]any{
		"status":   OutboxSent,
		"sent_at":  at.UTC(),
		"attempts": gormExpr("attempts + 1"),
	})
}

// MarkMessageRetry records a failed attempt and when to try again.
func (s *Store) MarkMessageRetry(ctx context.Context, id uint, next time.Time, lastError string) error {
	return s.updateMessage(ctx, id, map[string]any{
		"next_attempt_at": next.UTC(),
		"last_error":      lastError,
		"attempts":        gormExpr("attempts + 1"),
	})
}

// MarkMessageDead keeps a message that will not be sent again, with the
// error that ended it, for an admin to look at.
func (s *Store) MarkMessageDead(ctx context.Context, id uint, lastError string) error {
	return s.updateMessage(ctx, id, map[string]any{
		"status":     OutboxDead,
		"last_error": lastError,
		"attempts":   gormExpr("attempts + 1"),
	})
}

// DropPendingMessages marks every pending message of the chat as dropped and
// returns how many there were. UpsertUserAndRequeue queues the buyer's
// messages among them again once the user writes to the bot again.
func (s *Store) DropPendingMessages(ctx context.Context, chatID int64, reason string) (int64, error) {
	result := s.with(ctx).Model(&OutboxMessage{}).
		Where("chat_id = ? AND status = ?", chatID, OutboxPending).
		Updates(map[string]any{"status": OutboxDropped, "last_error": reason})
	if result.Error != nil {
		return 0, fmt.Errorf("store: drop pending messages of chat %d: %w", chatID, translate(result.Error))
	}
	return result.RowsAffected, nil
}

// requeuedKinds are the kinds of dropped messages that are queued again
// when their unreachable user writes to the bot again: the buyer's
// deliveries and order updates. Admin messages are not among them.
var requeuedKinds = []string{MessagePaid, MessageRefunded, MessageFailed, MessageExpired}

// requeueDroppedMessages makes the chat's dropped messages of the kinds
// pending again, due now and with no attempts counted, and returns how many
// there were. Their ids stay the same, so they keep their place in the
// chat's queue. Only DropPendingMessages sets the dropped state.
func (s *Store) requeueDroppedMessages(ctx context.Context, chatID int64, kinds []string) (int64, error) {
	now := time.Now().UTC()
	result := s.with(ctx).Model(&OutboxMessage{}).
		Where("chat_id = ? AND status = ? AND kind IN ?", chatID, OutboxDropped, kinds).
		Updates(map[string]any{
			"status":          OutboxPending,
			"next_attempt_at": now,
			"attempts":        0,
			"updated_at":      now,
		})
	if result.Error != nil {
		return 0, fmt.Errorf("store: queue dropped messages of chat %d again: %w", chatID, translate(result.Error))
	}
	return result.RowsAffected, nil
}

// ListMessagesByStatus returns the newest messages in the state, newest
// first.
func (s *Store) ListMessagesByStatus(ctx context.Context, status string, limit int) ([]OutboxMessage, error) {
	var list []OutboxMessage
	err := s.with(ctx).
		Where("status = ?", status).
		Order("id DESC").
		Limit(limit).
		Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("store: list %s outbox messages: %w", status, translate(err))
	}
	return list, nil
}

// CountMessagesByStatus returns how many outbox messages are in the state.
func (s *Store) CountMessagesByStatus(ctx context.Context, status string) (int64, error) {
	var count int64
	err := s.with(ctx).Model(&OutboxMessage{}).Where("status = ?", status).Count(&count).Error
	if err != nil {
		return 0, fmt.Errorf("store: count %s outbox messages: %w", status, translate(err))
	}
	return count, nil
}

func (s *Store) updateMessage(ctx context.Context, id uint, updates map[string]any) error {
	updates["updated_at"] = time.Now().UTC()
	err := s.with(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(updates).Error
	if err != nil {
		return fmt.Errorf("store: update outbox message %d: %w", id, translate(err))
	}
	return nil
}

// OutboxBacklog returns the number of pending messages and when the oldest
// of them was queued, zero when none is pending.
func (s *Store) OutboxBacklog(ctx context.Context) (int64, time.Time, error) {
	count, err := s.CountMessagesByStatus(ctx, OutboxPending)
	if err != nil || count == 0 {
		return count, time.Time{}, err
	}
	var oldest []OutboxMessage
	err = s.with(ctx).Where("status = ?", OutboxPending).Order("id ASC").Limit(1).Find(&oldest).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: read outbox backlog: %w", translate(err))
	}
	if len(oldest) == 0 {
		return 0, time.Time{}, nil
	}
	return count, oldest[0].CreatedAt, nil
}
