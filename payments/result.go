package payments

// Result is what became of one received notification. Outcome is one of the
// store.Outcome* values; OutcomeBadSignature and OutcomeMalformed are
// permanent rejections of the request itself, every other outcome means the
// notification was handled and PingPong should stop retrying it.
type Result struct {
	Outcome       string
	OrderID       string
	TransactionID string
	NotifyType    string
	Status        string
	// Detail explains a rejection or an ignored notification, without
	// secrets.
	Detail string
}
