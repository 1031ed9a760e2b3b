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
    /// Class weights are (share of the largest class / share of this class) ^ this: 0 leaves
    /// the classes as they come, 1 balances them fully.
    pub balance: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            rounds: 300,
            rate: 0.1,
            l2: 4.0,
            min_count: 1,
            balance: 1.0,
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

pub fn featurize(examples: &[Example]) -> Vec<(Vec<Feature>, Label)> {
    examples
        .iter()
        .map(|e| (features::extract(&e.title), e.label))
        .collect()
}

/// Fits a model to featurized examples.
pub fn train(data: &[(Vec<Feature>, Label)], p: &Params) -> Model {
    // Keep features seen often enough; the dense ones always.
    let mut count: HashMap<u64, usize> = HashMap::new();
    for (feats, _) in data {
        for f in feats {
            *count.entry(f.key).or_default() += 1;
        }
    }
    let dense = features::DENSE.map(features::key);
    let keep = |f: &Feature| dense.contains(&f.key) || count[&f.key] >= p.min_count;
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let rows: Vec<(Vec<(usize, f32)>, usize)> = data
        .iter()
        .map(|(feats, label)| {
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
            (row, label.index())
        })
        .collect();
    let mut share = [0f32; 3];
    for (_, y) in &rows {
        share[*y] += 1.0;
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
    let scale = 1.0 / rows.len().max(1) as f32;
    for _ in 0..p.rounds {
        grad.iter_mut().for_each(|g| *g = [0.0; 3]);
        for (row, y) in &rows {
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
                let d = class_weight[*y] * (e[c] / s - target) * scale;
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

/// How a scorer agrees with labelled data.
pub fn evaluate(data: &[(Vec<Feature>, Label)], model: &Model) -> Metrics {
    let mut confusion = [[0usize; 3]; 3];
    for (feats, label) in data {
        confusion[label.index()][model.verdict(feats).label.index()] += 1;
    }
    Metrics::from_confusion(confusion)
}

/// k-fold cross-validation: fold i holds every example whose position is i mod k; each fold
/// is scored by a model trained on the others, and the confusions are summed.
pub fn cross_validate(data: &[(Vec<Feature>, Label)], k: usize, p: &Params) -> Metrics {
    let mut confusion = [[0usize; 3]; 3];
    for fold in 0..k {
        let (test, trainset): (Vec<_>, Vec<_>) =
            data.iter().enumerate().partition(|(i, _)| i % k == fold);
        let trainset: Vec<_> = trainset.into_iter().map(|(_, d)| d.clone()).collect();
        let model = train(&trainset, p);
        for (_, (feats, label)) in test {
            confusion[label.index()][model.verdict(feats).label.index()] += 1;
        }
    }
    Metrics::from_confusion(confusion)
}
