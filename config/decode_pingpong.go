package config

import "net"

func (d decoder) pingPong() PingPongConfig {
	p := PingPongConfig{
		Mode:      d.choice("pingpong.mode", "PingPong mode", PingPongModeSandbox, PingPongModeLocal),
		APIBase:   d.text("pingpong.api_base"),
		ClientID:  d.text("pingpong.client_id"),
		AccID:     d.text("pingpong.acc_id"),
		Salt:      d.text("pingpong.webhook_secret"),
		SignType:  d.choice("pingpong.sign_type", "signature type", SignTypeSHA256, SignTypeMD5),
		Timeout:   d.duration("pingpong.timeout"),
		ShopperIP: d.text("pingpong.shopper_ip"),
	}

	p.APIBase = d.apiBase(p.APIBase)
	d.checkStoreIDs(p.ClientID, p.AccID)
	d.required("pingpong.webhook_secret", p.Salt,
		"set it to the secret key (salt) of the store in the PingPong back office")

	if d.required("pingpong.shopper_ip", p.ShopperIP, "use 127.0.0.1") &&
		net.ParseIP(p.ShopperIP) == nil {
		d.p.add("pingpong.shopper_ip", "%q is not an IP address: use 127.0.0.1", p.ShopperIP)
	}
	return p
}

// apiBase checks the PingPong API base URL and returns it without a trailing
// slash. A path is allowed for a proxy that serves the API under a prefix.
func (d decoder) apiBase(raw string) string {
	const key = "pingpong.api_base"
	const fix = "use https://sandbox-acquirer-payment.pingpongx.com for the sandbox " +
		"or https://acquirer-payment.pingpongx.com for production"
	if !d.required(key, raw, fix) {
		return ""
	}
	base, problem := parseOrigin(raw, true)
	if problem != "" {
		d.p.add(key, "%q %s: %s", raw, problem, fix)
		return ""
	}
	return base
}

// checkStoreIDs checks the merchant and store ids. PingPong derives the
// client id (merchant) from the acc id (store) by dropping the acc id's last
// 3 digits, so a pair that breaks this rule was copied from two places.
func (d decoder) checkStoreIDs(clientID, accID string) {
	const clientKey, accKey = "pingpong.client_id", "pingpong.acc_id"
	const where = "copy it from the store's settings in the PingPong back office"

	if d.required(clientKey, clientID, where) && !isDigits(clientID) {
		d.p.add(clientKey, "%q is not a PingPong client id, which has digits only: %s",
			clientID, where)
	}
	if d.required(accKey, accID, where) && !isDigits(accID) {
		d.p.add(accKey, "%q is not a PingPong acc id, which has digits only: %s", accID, where)
	}
	if d.p.has(clientKey) || d.p.has(accKey) {
		return
	}

	if len(accID) <= 3 {
		d.p.add(accKey, "%q is too short: a PingPong acc id is the client id followed by "+
			"3 digits", accID)
		return
	}
	if want := accID[:len(accID)-3]; clientID != want {
		d.p.add(clientKey, "%q does not match %s %q: the client id is the acc id without "+
			"its last 3 digits, so it should be %q", clientID, label(accKey), accID, want)
	}
}

func isDigits(s string) bool {
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return s != ""
}
