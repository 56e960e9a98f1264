package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// UpsertUser stores the user like UpsertUserAndRequeue, without reporting
// how many dropped messages were queued again.
func (s *Store) UpsertUser(ctx context.Context, user *User) error {
	_, err := s.UpsertUserAndRequeue(ctx, user)
	return err
}

// UpsertUserAndRequeue stores the user, updating name, chat and language if
// the user exists, and marks the user reachable again because they just
// wrote to us. When the stored user was marked unreachable, the same
// transaction also queues again the paid, refunded, failed and expired
// messages of the user's chat that were dropped for that reason, and
// returns how many. The caller should then wake the outbox sender.
func (s *Store) UpsertUserAndRequeue(ctx context.Context, user *User) (int64, error) {
	var requeued int64
	err := s.Transaction(ctx, func(tx *Store) error {
		requeued = 0
		wasUnreachable, err := tx.isUnreachable(ctx, user.ID)
		if err != nil {
			return err
		}
		if err := tx.upsertUser(ctx, user); err != nil {
			return err
		}
		if !wasUnreachable {
			return nil
		}
		requeued, err = tx.requeueDroppedMessages(ctx, user.ChatID, requeuedKinds)
		return err
	})
	if err != nil {
		return 0, err
	}
	return requeued, nil
}

func (s *Store) upsertUser(ctx context.Context, user *User) error {
	user.Unreachable = false
	err := s.with(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"chat_id", "username", "first_name", "language_code", "unreachable", "updated_at",
		}),
	}).Create(user).Error
	if err != nil {
		return fmt.Errorf("store: upsert user %d: %w", user.ID, translate(err))
	}
	return nil
}

// isUnreachable reports whether the user is stored and marked unreachable.
func (s *Store) isUnreachable(ctx context.Context, id int64) (bool, error) {
	var users []User
	if err := s.with(ctx).Where("id = ?", id).Limit(1).Find(&users).Error; err != nil {
		return false, fmt.Errorf("store: read user %d: %w", id, translate(err))
	}
	return len(users) == 1 && users[0].Unreachable, nil
}

// GetUser returns the user with the Telegram user id, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	var user User
	if err := s.with(ctx).First(&user, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("store: get user %d: %w", id, translate(err))
	}
	return &user, nil
}

// GetUserByChat returns the user whose private chat is chatID, or
// ErrNotFound.
func (s *Store) GetUserByChat(ctx context.Context, chatID int64) (*User, error) {
	var user User
	if err := s.with(ctx).First(&user, "chat_id = ?", chatID).Error; err != nil {
		return nil, fmt.Errorf("store: get user by chat %d: %w", chatID, translate(err))
	}
	return &user, nil
}

// MarkChatUnreachable flags the users of the chat as unreachable, after
// Telegram answered that the bot is blocked or the user is deactivated.
func (s *Store) MarkChatUnreachable(ctx context.Context, chatID int64) error {
	err := s.with(ctx).Model(&User{}).
		Where("chat_id = ?", chatID).
		Update("unreachable", true).Error
	if err != nil {
		return fmt.Errorf("store: mark chat %d unreachable: %w", chatID, translate(err))
	}
	return nil
}
