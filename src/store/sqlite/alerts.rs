//! SQLite: Firings, their deliveries, rule states and the rules made from the dashboard.

use super::*;

impl AlertStore for SqliteBackend {
    fn record_firing(
        &mut self,
        f: &Firing,
        channels: &[Channel],
        state: ArmState,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let new = insert_firing(&tx, f)?;
        if new {
            for c in channels {
                tx.execute(
                    "INSERT OR IGNORE INTO alert_deliveries (firing_id, channel) VALUES (?1, ?2)",
                    params![f.id, c.as_str()],
                )?;
            }
            save_alert_state(&tx, &f.alert, state)?;
        }
        tx.commit()?;
        Ok(new)
    }

    fn save_alert_state(&mut self, name: &str, state: ArmState) -> Result<(), StoreError> {
        save_alert_state(&self.conn, name, state)
    }

    fn alert_states(&mut self) -> Result<Vec<(String, ArmState)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, armed, false_since FROM alert_state")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ArmState {
                    armed: r.get::<_, i64>(1)? != 0,
                    false_since: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pending_deliveries(
        &mut self,
        channel: Option<Channel>,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.id, f.alert, f.symbol, f.condition, f.value, f.at, f.trigger_time, d.channel, d.attempts \
             FROM alert_deliveries d JOIN alert_firings f ON f.id = d.firing_id \
             WHERE d.delivered_at IS NULL AND (?2 IS NULL OR d.channel = ?2) \
             ORDER BY f.trigger_time, f.id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64, channel.map(Channel::as_str)], |r| {
            Ok((firing_row(r)?, r.get::<_, String>(7)?, r.get::<_, i64>(8)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (firing, channel, attempts) = row?;
            if let Some(channel) = Channel::parse(&channel) {
                out.push(PendingDelivery {
                    firing,
                    channel,
                    attempts: attempts.clamp(0, u32::MAX as i64) as u32,
                });
            }
        }
        Ok(out)
    }

    fn delivery_result(
        &mut self,
        firing_id: &str,
        channel: Channel,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        match error {
            None => self.conn.execute(
                "UPDATE alert_deliveries SET delivered_at = ?3, attempts = attempts + 1, last_error = NULL \
                 WHERE firing_id = ?1 AND channel = ?2",
                params![firing_id, channel.as_str(), now_ms()],
            )?,
            Some(e) => self.conn.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?3 \
                 WHERE firing_id = ?1 AND channel = ?2",
                params![firing_id, channel.as_str(), e],
            )?,
        };
        Ok(())
    }

    fn firings(&mut self, from: Millis, to: Millis) -> Result<Vec<Firing>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
             WHERE trigger_time BETWEEN ?1 AND ?2 ORDER BY trigger_time, id",
        )?;
        let rows = stmt.query_map(params![from, to], firing_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn last_firing(&mut self, alert: &str) -> Result<Option<Firing>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
                 WHERE alert = ?1 ORDER BY trigger_time DESC, id DESC LIMIT 1",
                [alert],
                firing_row,
            )
            .optional()?)
    }

    fn stored_rules(&mut self) -> Result<Vec<StoredRule>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled \
             FROM alert_rules ORDER BY created_at, name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredRule {
                name: r.get(0)?,
                symbol: r.get(1)?,
                timeframe: r.get(2)?,
                when: r.get(3)?,
                repeat: r.get(4)?,
                rearm_secs: r.get::<_, i64>(5)?.max(0) as u64,
                notify: r.get(6)?,
                enabled: r.get::<_, i64>(7)? != 0,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_rule(&mut self, r: &StoredRule) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO alert_rules (name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (name) DO UPDATE SET symbol = excluded.symbol, timeframe = excluded.timeframe, \
             cond = excluded.cond, repeat = excluded.repeat, rearm_secs = excluded.rearm_secs, \
             notify = excluded.notify, enabled = excluded.enabled",
            params![
                r.name,
                r.symbol,
                r.timeframe,
                r.when,
                r.repeat,
                r.rearm_secs as i64,
                r.notify,
                r.enabled as i64,
                now_ms()
            ],
        )?;
        Ok(())
    }

    fn delete_rule(&mut self, name: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM alert_rules WHERE name = ?1", [name])?;
        self.conn
            .execute("DELETE FROM alert_state WHERE name = ?1", [name])?;
        Ok(())
    }
}
