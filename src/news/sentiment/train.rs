//! Training and measuring the headline model: multinomial logistic regression with L2, fitted
//! by full-batch AdaGrad for a fixed number of rounds (no randomness: the same data gives the
//! same file), and k-fold cross-validation to report how well it agrees with people on
//! headlines it was not trained on.

use std::collections::HashMap;

use super::features::{self, Feature};
use super::model::{Label, Model};

/// A labelled headline.
#[derive(Clone, Debug)]
pub struct Example {
    pub title: String,
    pub label: Label,
}

#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub rounds: usize,
    pub rate: f32,
    pub l2: f32,
    /// Words and pairs seen in fewer training titles than this are left out.
    pub min_count: usize,
    /// Words and pairs only the other-domain data has are kept when seen in at least this
    /// many of its titles: a bound on the model's size (its one-off words would triple it and
    /// carry almost no weight), not a setting chosen for accuracy.
    pub min_extra_count: usize,
    /// Class weights are (share of the largest class / share of this class) ^ this: 0 leaves
    /// the classes as they come, 1 balances them fully.
    pub balance: f32,
    /// How much one headline of the other-domain data (financial news, not crypto) counts
    /// against one crypto headline: enough to teach the words of gain and loss the crypto
    /// half is too small to show, not so much that finance's conventions outvote crypto
    /// readers' (chosen, with `l2` and `rounds`, by cross-validation on the crypto half).
    pub extra_weight: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            rounds: 600,
            rate: 0.1,
            l2: 1.0,
            min_count: 1,
            min_extra_count: 3,
            balance: 1.0,
            extra_weight: 0.1,
        }
    }
}

/// Reads `id,date,title,label` CSV (the CryptoLin layout; quoted titles may hold commas).
pub fn read_csv(text: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let (rest, label) = line
            .rsplit_once(',')
            .ok_or_else(|| format!("line {}: no label", i + 1))?;
        let label = Label::parse(label)
            .ok_or_else(|| format!("line {}: unknown label {label:?}", i + 1))?;
        // id,date,title: the title is everything after the second comma.
        let title = rest.splitn(3, ',').nth(2).unwrap_or("");
        let title = title
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .map_or_else(|| title.to_string(), |t| t.replace("\"\"", "\""));
        out.push(Example { title, label });
    }
    Ok(out)
}

/// Reads the Twitter financial news set (`text,label`; 0 bearish, 1 bullish, 2 neutral;
/// quoted fields may hold commas, quotes and line breaks). Links and cashtags are dropped:
/// they name, they do not judge.
pub fn read_tfns(text: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (i, fields) in csv_records(text).into_iter().enumerate().skip(1) {
        let [title, label] = fields.as_slice() else {
            return Err(format!("record {}: expected 2 fields", i + 1));
        };
        let label = match label.as_str() {
            "0" => Label::Negative,
            "1" => Label::Positive,
            "2" => Label::Neutral,
            other => return Err(format!("record {}: unknown label {other:?}", i + 1)),
        };
        let title: Vec<&str> = title
            .split_whitespace()
            .filter(|w| !w.starts_with("http") && !w.starts_with('$') && *w != "…")
            .collect();
        if !title.is_empty() {
            out.push(Example {
                title: title.join(" "),
                label,
            });
        }
    }
    Ok(out)
}

/// The records of an RFC 4180 CSV text.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

pub fn featurize(examples: &[Example]) -> Vec<(Vec<Feature>, Label)> {
    examples
        .iter()
        .map(|e| (features::extract(&e.title), e.label))
        .collect()
}

/// One training title: its (feature index, value) pairs, its class and its weight.
type Row = (Vec<(usize, f32)>, usize, f32);

/// Fits a model to featurized crypto headlines `data` and other-domain headlines `extra`
/// (each counting [`Params::extra_weight`]).
pub fn train(own: &[(Vec<Feature>, Label)], extra: &[(Vec<Feature>, Label)], p: &Params) -> Model {
    let data: Vec<(&(Vec<Feature>, Label), f32)> = own
        .iter()
        .map(|d| (d, 1.0))
        .chain(extra.iter().map(|d| (d, p.extra_weight)))
        .filter(|(_, w)| *w > 0.0)
        .collect();
    // Keep features seen often enough; the dense ones always.
    let counts = |rows: &[(Vec<Feature>, Label)]| {
        let mut count: HashMap<u64, usize> = HashMap::new();
        for f in rows.iter().flat_map(|(feats, _)| feats) {
            *count.entry(f.key).or_default() += 1;
        }
        count
    };
    let count = counts(own);
    let extra_count = if p.extra_weight > 0.0 {
        counts(extra)
    } else {
        HashMap::new()
    };
    let dense = features::DENSE.map(features::key);
    let keep = |f: &Feature| {
        dense.contains(&f.key)
            || count.get(&f.key).is_some_and(|&n| n >= p.min_count)
            || extra_count
                .get(&f.key)
                .is_some_and(|&n| n >= p.min_extra_count)
    };
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let rows: Vec<Row> = data
        .iter()
        .map(|((feats, label), weight)| {
            let row = feats
                .iter()
                .filter(|f| keep(f))
                .map(|f| {
                    let i = *index.entry(f.key).or_insert_with(|| {
                        names.push(f.text.clone());
                        names.len() - 1
                    });
                    (i, f.value)
                })
                .collect();
            (row, label.index(), *weight)
        })
        .collect();
    let mut share = [0f32; 3];
    for (_, y, weight) in &rows {
        share[*y] += weight;
    }
    let most = share.iter().copied().fold(0.0, f32::max);
    let class_weight = share.map(|s| {
        if s > 0.0 {
            (most / s).powf(p.balance)
        } else {
            0.0
        }
    });

    let n = names.len();
    let bias = index.get(&features::key(features::BIAS)).copied();
    let mut w = vec![[0f32; 3]; n];
    let mut g2 = vec![[1e-8f32; 3]; n];
    let mut grad = vec![[0f32; 3]; n];
    let total: f32 = rows.iter().map(|r| r.2).sum();
    let scale = 1.0 / total.max(1.0);
    for _ in 0..p.rounds {
        grad.iter_mut().for_each(|g| *g = [0.0; 3]);
        for (row, y, weight) in &rows {
            let mut z = [0f32; 3];
            for &(i, v) in row {
                for c in 0..3 {
                    z[c] += w[i][c] * v;
                }
            }
            let m = z[0].max(z[1]).max(z[2]);
            let e = z.map(|v| (v - m).exp());
            let s = e[0] + e[1] + e[2];
            for c in 0..3 {
                let target = if c == *y { 1.0 } else { 0.0 };
                let d = weight * class_weight[*y] * (e[c] / s - target) * scale;
                for &(i, v) in row {
                    grad[i][c] += d * v;
                }
            }
        }
        for i in 0..n {
            for c in 0..3 {
                let mut g = grad[i][c];
                if Some(i) != bias {
                    g += p.l2 * w[i][c] * scale;
                }
                g2[i][c] += g * g;
                w[i][c] -= p.rate * g / g2[i][c].sqrt();
            }
        }
    }
    Model::from_weights(names.into_iter().zip(w))
}

/// Agreement with the labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Rows: the people's label; columns: the model's (negative, neutral, positive).
    pub confusion: [[usize; 3]; 3],
}

impl Metrics {
    /// The agreement of (people's label, scorer's label) pairs.
    pub fn tally(pairs: impl IntoIterator<Item = (Label, Label)>) -> Metrics {
        let mut confusion = [[0usize; 3]; 3];
        for (people, scorer) in pairs {
            confusion[people.index()][scorer.index()] += 1;
        }
        Metrics::from_confusion(confusion)
    }

    pub fn from_confusion(confusion: [[usize; 3]; 3]) -> Metrics {
        let n: usize = confusion.iter().flatten().sum();
        let right: usize = (0..3).map(|c| confusion[c][c]).sum();
        let f1 = |c: usize| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..3).map(|r| confusion[r][c]).sum();
            let actual: usize = confusion[c].iter().sum();
            if tp == 0.0 {
                0.0
            } else {
                let (p, r) = (tp / predicted as f64, tp / actual as f64);
                2.0 * p * r / (p + r)
            }
        };
        Metrics {
            n,
            accuracy: right as f64 / n.max(1) as f64,
            macro_f1: (f1(0) + f1(1) + f1(2)) / 3.0,
            confusion,
        }
    }
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "accuracy {:.1} %, macro-F1 {:.3} over {} headlines; confusion (rows people, cols scorer: neg neu pos) {:?}",
            self.accuracy * 100.0,
            self.macro_f1,
            self.n,
            self.confusion
        )
    }
}

/// How a scorer agrees with labelled data.
pub fn evaluate(data: &[(Vec<Feature>, Label)], model: &Model) -> Metrics {
    Metrics::tally(
        data.iter()
            .map(|(feats, label)| (*label, model.verdict(feats).label)),
    )
}

/// k-fold cross-validation: fold i holds every example of `data` whose position is i mod k;
/// each fold is scored by a model trained on the others and on all of `extra`, and the
/// confusions are summed. Only crypto headlines are ever scored.
pub fn cross_validate(
    data: &[(Vec<Feature>, Label)],
    extra: &[(Vec<Feature>, Label)],
    k: usize,
    p: &Params,
) -> Metrics {
    let mut pairs = Vec::with_capacity(data.len());
    for fold in 0..k {
        let (test, trainset): (Vec<_>, Vec<_>) =
            data.iter().enumerate().partition(|(i, _)| i % k == fold);
        let trainset: Vec<_> = trainset.into_iter().map(|(_, d)| d.clone()).collect();
        let model = train(&trainset, extra, p);
        pairs.extend(
            test.into_iter()
                .map(|(_, (feats, label))| (*label, model.verdict(feats).label)),
        );
    }
    Metrics::tally(pairs)
}
