//! SQLite: News items and the feeds' validators.

use super::*;

impl NewsStore for SqliteBackend {
    fn insert_news(&mut self, items: &[NewsItem]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO news (id, source, feed, title, link, published_at, fetched_at, \
                 summary, symbols, title_compound, title_pos, title_neu, title_neg, \
                 summary_compound, summary_pos, summary_neu, summary_neg, \
                 title_label, summary_label, sentiment_model) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
                 ?18, ?19, ?20)",
            )?;
            for it in items {
                let s = it.summary_sentiment;
                n += stmt.execute(params![
                    it.id,
                    it.source,
                    it.feed,
                    it.title,
                    it.link,
                    it.published_at,
                    it.fetched_at,
                    it.summary,
                    format!(",{},", it.symbols.join(",")),
                    it.title_sentiment.compound,
                    it.title_sentiment.pos,
                    it.title_sentiment.neu,
                    it.title_sentiment.neg,
                    s.map(|s| s.compound),
                    s.map(|s| s.pos),
                    s.map(|s| s.neu),
                    s.map(|s| s.neg),
                    it.title_sentiment.label.as_str(),
                    s.map(|s| s.label.as_str()),
                    it.title_sentiment.scorer.as_str(),
                ])?;
            }
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source, feed, title, link, published_at, fetched_at, summary, symbols, \
             title_compound, title_pos, title_neu, title_neg, \
             summary_compound, summary_pos, summary_neu, summary_neg, \
             title_label, summary_label, sentiment_model \
             FROM news WHERE (?1 IS NULL OR symbols LIKE ?1) \
             ORDER BY published_at DESC, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![pattern, limit as i64], |r| {
            let symbols: String = r.get(8)?;
            Ok(NewsItem {
                id: r.get(0)?,
                source: r.get(1)?,
                feed: r.get(2)?,
                title: r.get(3)?,
                link: r.get(4)?,
                published_at: r.get(5)?,
                fetched_at: r.get(6)?,
                summary: r.get(7)?,
                symbols: symbols
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                title_sentiment: scores(r, 9, 17)?.unwrap_or_default(),
                summary_sentiment: scores(r, 13, 18)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn news_ids(&mut self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM news WHERE id = ?1")?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(found) = stmt.query_row([id], |r| r.get(0)).optional()? {
                out.push(found);
            }
        }
        Ok(out)
    }

    fn feed_state(&mut self, url: &str) -> Result<FeedState, StoreError> {
        let st = self
            .conn
            .query_row(
                "SELECT etag, last_modified FROM feed_state WHERE url = ?1 \
                 AND EXISTS (SELECT 1 FROM news WHERE feed = ?1)",
                [url],
                |r| {
                    Ok(FeedState {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                },
            )
            .optional()?;
        Ok(st.unwrap_or_default())
    }

    fn save_feed_state(&mut self, url: &str, st: &FeedState) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO feed_state (url, etag, last_modified, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
             last_modified = excluded.last_modified, updated_at = excluded.updated_at",
            params![url, st.etag, st.last_modified, now_ms()],
        )?;
        Ok(())
    }

    fn prune_news(&mut self, before: Millis, keep: usize) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = tx.execute("DELETE FROM news WHERE published_at < ?1", [before])?;
        n += tx.execute(
            "DELETE FROM news WHERE id IN \
             (SELECT id FROM news ORDER BY published_at DESC, id LIMIT -1 OFFSET ?1)",
            [keep as i64],
        )?;
        tx.commit()?;
        Ok(n)
    }
}
