//! PostgreSQL: News items and the feeds' validators.

use super::*;

impl NewsStore for PostgresBackend {
    fn insert_news(&mut self, items: &[NewsItem]) -> Result<usize, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let stmt = tx.prepare(&format!(
            "INSERT INTO news ({NEWS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT (id) DO NOTHING"
        ))?;
        let mut n = 0;
        for it in items {
            let s = it.summary_sentiment;
            let t = it.title_sentiment;
            n += tx.execute(
                &stmt,
                &[
                    &it.id,
                    &it.source,
                    &it.feed,
                    &it.title,
                    &it.link,
                    &it.published_at,
                    &it.fetched_at,
                    &it.summary,
                    &format!(",{},", it.symbols.join(",")),
                    &t.compound,
                    &t.pos,
                    &t.neu,
                    &t.neg,
                    &s.map(|s| s.compound),
                    &s.map(|s| s.pos),
                    &s.map(|s| s.neu),
                    &s.map(|s| s.neg),
                    &t.label.as_str(),
                    &s.map(|s| s.label.as_str()),
                    &t.scorer.as_str(),
                ],
            )? as usize;
        }
        tx.commit()?;
        Ok(n)
    }

    fn recent_news(
        &mut self,
        limit: usize,
        coin: Option<&str>,
    ) -> Result<Vec<NewsItem>, StoreError> {
        let pattern = coin.map(|c| format!("%,{},%", c.to_ascii_uppercase()));
        let rows = self.conn()?.query(
            &format!(
                "SELECT {NEWS_COLS} FROM news WHERE ($1::text IS NULL OR symbols LIKE $1) \
                 ORDER BY published_at DESC, id LIMIT $2"
            ),
            &[&pattern, &(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .map(|r| NewsItem {
                id: r.get(0),
                source: r.get(1),
                feed: r.get(2),
                title: r.get(3),
                link: r.get(4),
                published_at: r.get(5),
                fetched_at: r.get(6),
                summary: r.get(7),
                symbols: r
                    .get::<_, &str>(8)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                title_sentiment: scores(r, 9, 17).unwrap_or_default(),
                summary_sentiment: scores(r, 13, 18),
            })
            .collect())
    }

    fn news_ids(&mut self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT id FROM news WHERE id = ANY($1)", &[&ids])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn prune_news(&mut self, before: Millis, keep: usize) -> Result<usize, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let mut n = tx.execute("DELETE FROM news WHERE published_at < $1", &[&before])?;
        n += tx.execute(
            "DELETE FROM news WHERE id IN \
             (SELECT id FROM news ORDER BY published_at DESC, id OFFSET $1)",
            &[&(keep as i64)],
        )?;
        tx.commit()?;
        Ok(n as usize)
    }

    fn feed_state(&mut self, url: &str) -> Result<FeedState, StoreError> {
        let row = self.conn()?.query_opt(
            "SELECT etag, last_modified FROM feed_state WHERE url = $1 \
             AND EXISTS (SELECT 1 FROM news WHERE feed = $1)",
            &[&url],
        )?;
        Ok(row
            .map(|r| FeedState {
                etag: r.get(0),
                last_modified: r.get(1),
            })
            .unwrap_or_default())
    }

    fn save_feed_state(&mut self, url: &str, st: &FeedState) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO feed_state (url, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
             last_modified = excluded.last_modified, updated_at = excluded.updated_at",
            &[&url, &st.etag, &st.last_modified, &now_ms()],
        )?;
        Ok(())
    }
}
