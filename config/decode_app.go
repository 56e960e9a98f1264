package config

// checkEnvironment rejects settings that must not reach production. A
// production run in local PingPong mode would show buyers a simulated
// checkout and deliver products that were never paid for.
func (d decoder) checkEnvironment(cfg *Config) {
	if cfg.AppEnv != AppEnvProduction || cfg.PingPong.Mode != PingPongModeLocal {
		return
	}
	d.p.add("pingpong.mode", "%q is not allowed while %s is %q, because local mode simulates "+
		"payments and no money moves: set PINGPONG_MODE=%s with the store's own PingPong ids, "+
		"or set APP_ENV=%s for a trial run", PingPongModeLocal, label("app.env"), AppEnvProduction,
		PingPongModeSandbox, AppEnvDevelopment)
}
