//! Label sets of the exported metrics, and the fixed values some of them take.

use prometheus_client::encoding::EncodeLabelSet;

/// The `kind` label values of `klines_notices`.
pub const NOTICE_KINDS: [&str; 4] = ["rate_limited", "banned", "budget_pause", "breaker_opened"];
/// The `outcome` label values of `news_polls`.
pub const POLL_OUTCOMES: [&str; 4] = ["ok", "not_modified", "failed", "skipped"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QuantileLabel {
    pub quantile: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PathLabel {
    pub path: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TierLabel {
    pub tier: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedLabel {
    pub feed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedOutcomeLabel {
    pub feed: String,
    pub outcome: &'static str,
}

/// One outbound client: `client` is its kind (`news`, `klines`, `websocket`), `target` the
/// URL it talks to.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClientLabel {
    pub client: &'static str,
    pub target: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VenueLabel {
    pub venue: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelOutcomeLabel {
    pub channel: &'static str,
    pub outcome: &'static str,
}
