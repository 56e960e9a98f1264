package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// UpsertUser stores the user, updating name, chat and language if the user
// exists, and marks the user reachable again because they just wrote to us.
func (s *Store) UpsertUser(ctx context.Context, user *User) error {
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
