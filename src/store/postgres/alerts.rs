//! PostgreSQL: Firings, their deliveries, rule states and the rules made from the dashboard.

use super::*;

impl AlertStore for PostgresBackend {
    fn record_firing(
        &mut self,
        f: &Firing,
        channels: &[Channel],
        state: ArmState,
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let new = insert_firing(&mut tx, f)?;
        if new {
            for c in channels {
                tx.execute(
                    "INSERT INTO alert_deliveries (firing_id, channel) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&f.id, &c.as_str()],
                )?;
            }
            save_alert_state(&mut tx, &f.alert, state)?;
        }
        tx.commit()?;
        Ok(new)
    }

    fn save_alert_state(&mut self, name: &str, state: ArmState) -> Result<(), StoreError> {
        save_alert_state(self.conn()?, name, state)
    }

    fn alert_states(&mut self) -> Result<Vec<(String, ArmState)>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT name, armed, false_since FROM alert_state", &[])?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    ArmState {
                        armed: r.get(1),
                        false_since: r.get(2),
                    },
                )
            })
            .collect())
    }

    fn pending_deliveries(
        &mut self,
        channel: Option<Channel>,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT f.id, f.alert, f.symbol, f.condition, f.value, f.at, f.trigger_time, d.channel, d.attempts \
             FROM alert_deliveries d JOIN alert_firings f ON f.id = d.firing_id \
             WHERE d.delivered_at IS NULL AND ($2::text IS NULL OR d.channel = $2) \
             ORDER BY f.trigger_time, f.id LIMIT $1",
            &[&(limit as i64), &channel.map(Channel::as_str)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(PendingDelivery {
                    firing: firing_row(r),
                    channel: Channel::parse(r.get(7))?,
                    attempts: r.get::<_, i64>(8).clamp(0, u32::MAX as i64) as u32,
                })
            })
            .collect())
    }

    fn delivery_result(
        &mut self,
        firing_id: &str,
        channel: Channel,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        match error {
            None => self.conn()?.execute(
                "UPDATE alert_deliveries SET delivered_at = $3, attempts = attempts + 1, last_error = NULL \
                 WHERE firing_id = $1 AND channel = $2",
                &[&firing_id, &channel.as_str(), &now_ms()],
            )?,
            Some(e) => self.conn()?.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = $3 \
                 WHERE firing_id = $1 AND channel = $2",
                &[&firing_id, &channel.as_str(), &e],
            )?,
        };
        Ok(())
    }

    fn firings(&mut self, from: Millis, to: Millis) -> Result<Vec<Firing>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
             WHERE trigger_time BETWEEN $1 AND $2 ORDER BY trigger_time, id",
            &[&from, &to],
        )?;
        Ok(rows.iter().map(firing_row).collect())
    }

    fn last_firing(&mut self, alert: &str) -> Result<Option<Firing>, StoreError> {
        let row = self.conn()?.query_opt(
            "SELECT id, alert, symbol, condition, value, at, trigger_time FROM alert_firings \
             WHERE alert = $1 ORDER BY trigger_time DESC, id DESC LIMIT 1",
            &[&alert],
        )?;
        Ok(row.as_ref().map(firing_row))
    }

    fn stored_rules(&mut self) -> Result<Vec<StoredRule>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled \
             FROM alert_rules ORDER BY created_at, name",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredRule {
                name: r.get(0),
                symbol: r.get(1),
                timeframe: r.get(2),
                when: r.get(3),
                repeat: r.get(4),
                rearm_secs: r.get::<_, i64>(5).max(0) as u64,
                notify: r.get(6),
                enabled: r.get(7),
            })
            .collect())
    }

    fn save_rule(&mut self, r: &StoredRule) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO alert_rules (name, symbol, timeframe, cond, repeat, rearm_secs, notify, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (name) DO UPDATE SET symbol = excluded.symbol, timeframe = excluded.timeframe, \
             cond = excluded.cond, repeat = excluded.repeat, rearm_secs = excluded.rearm_secs, \
             notify = excluded.notify, enabled = excluded.enabled",
            &[
                &r.name,
                &r.symbol,
                &r.timeframe,
                &r.when,
                &r.repeat,
                &(r.rearm_secs.min(i64::MAX as u64) as i64),
                &r.notify,
                &r.enabled,
                &now_ms(),
            ],
        )?;
        Ok(())
    }

    fn delete_rule(&mut self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.conn()?.transaction()?;
        tx.execute("DELETE FROM alert_rules WHERE name = $1", &[&name])?;
        tx.execute("DELETE FROM alert_state WHERE name = $1", &[&name])?;
        tx.commit()?;
        Ok(())
    }
}
