//! `kolrec bench`: throughput and peak-memory figures, measured in child processes so that each
//! step's peak memory is its own.

pub mod ann;
pub mod export;
pub mod growth;
pub mod growth_real;
pub mod ranking;
pub mod recommend;
pub mod scale;
pub mod serve;
pub mod trees;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use kolrec::fsutil::human_bytes;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Scale {
    Small,
    Full,
}

impl Scale {
    /// (brands, influencers, campaigns, days): `days` is chosen so that full scale yields about
    /// 30 million snapshot rows with the simulator's cadence mix.
    fn sizes(self) -> (usize, usize, usize, u32) {
        match self {
            Scale::Small => (2_000, 100_000, 500_000, 120),
            Scale::Full => (20_000, 1_000_000, 5_000_000, 120),
        }
    }
}

/// `../shared/bench/peers.py` and the Python that runs it.
pub struct Peers {
    pub python: std::path::PathBuf,
    pub script: std::path::PathBuf,
}

impl Peers {
    /// Run `peers.py SUBCOMMAND ARGS` (which write their own outputs).
    pub fn exec(&self, subcommand: &str, args: &[&std::ffi::OsStr]) -> Result<()> {
        let status = Command::new(&self.python)
            .arg(&self.script)
            .arg(subcommand)
            .args(args)
            .status()
            .with_context(|| format!("running {} {}", self.python.display(), self.script.display()))?;
        if !status.success() {
            bail!("peers.py {subcommand} failed ({status})");
        }
        Ok(())
    }

    /// Run `peers.py SUBCOMMAND ARGS --out OUT` and read the JSON it writes to `out`.
    pub fn run(&self, subcommand: &str, args: &[&std::ffi::OsStr], out: &Path) -> Result<serde_json::Value> {
        let status = Command::new(&self.python)
            .arg(&self.script)
            .arg(subcommand)
            .args(args)
            .arg("--out")
            .arg(out)
            .status()
            .with_context(|| format!("running {} {}", self.python.display(), self.script.display()))?;
        if !status.success() {
            bail!("peers.py {subcommand} failed ({status})");
        }
        let bytes = std::fs::read(out).with_context(|| format!("reading {}", out.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", out.display()))
    }
}

fn run_json(args: &[String]) -> Result<serde_json::Value> {
    let exe = std::env::current_exe().context("locating the kolrec binary")?;
    let out = Command::new(&exe).args(args).output().with_context(|| format!("running kolrec {}", args.join(" ")))?;
    if !out.status.success() {
        bail!("kolrec {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line).with_context(|| format!("parsing the JSON summary of kolrec {}", args.join(" ")))
}

pub fn data(scale: Scale, dir: &Path, keep: bool) -> Result<()> {
    let (b, i, c, d) = scale.sizes();
    let data = dir.join(format!("{scale:?}").to_lowercase());
    outln!("bench data ({scale:?}): {b} brands × {i} influencers × {c} campaigns, {d} days of snapshots");
    let generate = run_json(&[
        "generate".into(),
        "--out".into(),
        data.display().to_string(),
        "--brands".into(),
        b.to_string(),
        "--influencers".into(),
        i.to_string(),
        "--campaigns".into(),
        c.to_string(),
        "--days".into(),
        d.to_string(),
        "--format".into(),
        "parquet".into(),
        "--json".into(),
    ])?;
    let validate = run_json(&["validate".into(), "--data".into(), data.display().to_string(), "--json".into()])?;
    let g_rows = ["brands", "influencers", "campaigns", "snapshots"]
        .iter()
        .map(|k| generate[k].as_u64().unwrap_or(0))
        .sum::<u64>();
    let g_secs = generate["seconds"].as_f64().unwrap_or(f64::NAN);
    let v_rows = validate["rows"].as_u64().unwrap_or(0);
    let v_secs = validate["seconds"].as_f64().unwrap_or(f64::NAN);
    let mem = |v: &serde_json::Value| v["peak_rss_bytes"].as_u64().map(human_bytes).unwrap_or_else(|| "n/a".into());
    let size: u64 = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    outln!("snapshot rows: {}", generate["snapshots"]);
    outln!("{:<10} {:>12} {:>9} {:>12} {:>12}", "step", "rows", "seconds", "rows/s", "peak memory");
    outln!("{:<10} {:>12} {:>9.1} {:>12.0} {:>12}", "generate", g_rows, g_secs, g_rows as f64 / g_secs, mem(&generate));
    outln!("{:<10} {:>12} {:>9.1} {:>12.0} {:>12}", "load", v_rows, v_secs, v_rows as f64 / v_secs, mem(&validate));
    outln!("dataset on disk (Parquet, zstd): {}", human_bytes(size));
    if let (Some(typed), Some(peak)) = (validate["typed_bytes"].as_u64(), validate["peak_rss_bytes"].as_u64()) {
        outln!(
            "typed columns after loading: {}; load peak {:.2}× that (goal: at most 1.5×)",
            human_bytes(typed),
            peak as f64 / typed as f64
        );
    }
    if !keep {
        std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
    }
    Ok(())
}

/// Read a 2-D little-endian float32 `.npy` file (what `peers.py` dumps).
pub fn read_npy_f32(path: &Path) -> Result<(Vec<f32>, usize, usize)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        bail!("{} is not a .npy file", path.display());
    }
    let (hlen, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes(bytes[8..12].try_into()?) as usize, 12)
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen])?;
    if !header.contains("'<f4'") || header.contains("'fortran_order': True") {
        bail!("{}: expected C-order float32, header {header}", path.display());
    }
    let shape =
        header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).context("no shape in .npy header")?;
    let dims: Vec<usize> =
        shape.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse()).collect::<Result<_, _>>()?;
    let [rows, cols] = dims[..] else { bail!("{}: expected a 2-D array, shape ({shape})", path.display()) };
    let data: Vec<f32> =
        bytes[start + hlen..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect();
    if data.len() != rows * cols {
        bail!("{}: {} values for shape ({rows}, {cols})", path.display(), data.len());
    }
    Ok((data, rows, cols))
}

/// Side by side with `../shared/bench/peers.py affinity` (implicit ALS, tuned by its grid) on the
/// same interactions and the same per-brand split; see benches/README.md, "Affinity: quality and training time".
pub fn affinity(data: &Path, out: &Path, peers: &Peers, params: &kolrec::affinity::AffinityParams) -> Result<()> {
    use kolrec::affinity::AffinityModel;
    use kolrec::metrics::{graded_ndcg, ranking_metrics, top_k};
    use std::collections::{BTreeMap, HashMap, HashSet};

    std::fs::create_dir_all(out)?;
    let (ds, _) = kolrec::dataset::load(data, &Default::default())?;
    let truth = kolrec::sim::truth::Truth::load(data, &ds)?;
    let c = &ds.campaigns;
    let all: Vec<usize> = (0..c.len()).collect();
    // Relevance as kolrec's eval defines it: the post beat the market on the objective.
    let market = kolrec::affinity::outcome::Market::measure(c, &all, params.objective);
    let y: Vec<f32> = (0..c.len()).map(|r| market.target(c, r, params.alpha).map_or(f32::NAN, |t| t.0)).collect();
    // Unique, order-preserving timestamps: peers breaks ts ties at random, which no one can replay.
    let ts = |r: usize| i64::from(c.date[r]) * 100_000_000 + r as i64;

    let inter = out.join("interactions.csv");
    let mut text = String::from("user,item,weight,ts\n");
    for (r, w) in y.iter().enumerate().filter(|(_, w)| w.is_finite()) {
        let (b, i) = (&ds.brands.id[c.brand[r] as usize], &ds.influencers.id[c.influencer[r] as usize]);
        text.push_str(&format!("{b},{i},{w},{}\n", ts(r)));
    }
    std::fs::write(&inter, text)?;

    // peers.py's split, replayed: rows with weight > 0 only; per brand the latest
    // floor(0.2·n + 0.5) rows by ts are test; test pairs already in train are dropped.
    let pos: Vec<usize> = (0..c.len()).filter(|&r| y[r] > 0.0).collect();
    let mut by_brand: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &r in &pos {
        by_brand.entry(c.brand[r]).or_default().push(r);
    }
    let mut test_start: HashMap<u32, i64> = HashMap::new();
    let mut train_pos: HashMap<u32, HashSet<usize>> = HashMap::new();
    let mut test_pos: HashMap<u32, HashSet<usize>> = HashMap::new();
    for (&b, rows) in by_brand.iter_mut() {
        rows.sort_by_key(|&r| ts(r));
        let n_test = ((0.2 * rows.len() as f64) + 0.5).floor() as usize;
        let cut = rows.len() - n_test;
        let train: HashSet<usize> = rows[..cut].iter().map(|&r| c.influencer[r] as usize).collect();
        let test: HashSet<usize> =
            rows[cut..].iter().map(|&r| c.influencer[r] as usize).filter(|i| !train.contains(i)).collect();
        if let Some(&first) = rows.get(cut) {
            test_start.insert(b, ts(first));
        }
        train_pos.insert(b, train);
        if !test.is_empty() {
            test_pos.insert(b, test);
        }
    }
    // kolrec also learns from below-market posts (which peers cannot use), but only from the past
    // of each brand's test period.
    let kol_rows: Vec<usize> =
        (0..c.len()).filter(|&r| test_start.get(&c.brand[r]).is_none_or(|&t| ts(r) < t)).collect();
    let t0 = std::time::Instant::now();
    let (model, _) = AffinityModel::fit(&ds, &kol_rows, params)?;
    let kol_seconds = t0.elapsed().as_secs_f64();

    outln!("running peers.py affinity (implicit ALS grid, popularity) on {}", inter.display());
    let peers_json = out.join("peers_affinity.json");
    let (factors, epochs) = (params.factors.to_string(), params.iterations.to_string());
    let args: Vec<&std::ffi::OsStr> = ["--interactions".as_ref(), inter.as_os_str()]
        .into_iter()
        .chain(
            ["--factors", &factors, "--epochs", &epochs, "--k", "10", "--threads", "2", "--models", "pop,als"]
                .map(|a| a.as_ref()),
        )
        .collect();
    let pj = peers.run("affinity", &args, &peers_json)?;
    let als = pj["models"]
        .as_array()
        .and_then(|r| r.iter().find(|m| m["name"] == "implicit-als"))
        .context("no implicit-als result")?;
    let (uf, nu, k1) = read_npy_f32(Path::new(als["factors_dumped"]["users"].as_str().context("users path")?))?;
    let (itf, nit, k2) = read_npy_f32(Path::new(als["factors_dumped"]["items"].as_str().context("items path")?))?;
    anyhow::ensure!(k1 == k2, "ALS factor sizes differ");
    // peers indexes users and items by their sorted unique IDs among the rows it kept.
    let mut users: Vec<&str> = pos.iter().map(|&r| ds.brands.id[c.brand[r] as usize].as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut items: Vec<&str> = pos.iter().map(|&r| ds.influencers.id[c.influencer[r] as usize].as_str()).collect();
    items.sort_unstable();
    items.dedup();
    anyhow::ensure!(users.len() == nu && items.len() == nit, "ALS factors do not match the interactions");
    let bidx = ds.brands.index();
    let iidx = ds.influencers.index();
    let ni = ds.influencers.len();
    let mut als_item = vec![None; ni];
    for (k, id) in items.iter().enumerate() {
        als_item[iidx[id] as usize] = Some(k);
    }
    let mut als_user = vec![None; ds.brands.len()];
    for (k, id) in users.iter().enumerate() {
        als_user[bidx[id] as usize] = Some(k);
    }
    let in_universe: Vec<bool> = als_item.iter().map(Option::is_some).collect();

    let brands: Vec<u32> = test_pos.keys().copied().collect();
    let names = ["kolrec", "implicit-als"];
    // Per model: recall, NDCG, MAP and oracle NDCG sums, and the brands counted for each.
    let mut sums = [[0.0f64; 4]; 2];
    let (mut n, mut on) = ([0.0f64; 2], [0.0f64; 2]);
    let mut s = vec![f32::NEG_INFINITY; ni];
    for &b in &brands {
        let bu = b as usize;
        let seen = &train_pos[&b];
        let allowed = |i: usize| !seen.contains(&i);
        // The brand's true gains, once for both models.
        let truth_gains = truth.as_ref().map(|t| {
            let gain: Vec<f64> = (0..ni).map(|i| t.value(params.objective, bu, i)).collect();
            let cands: Vec<usize> = (0..ni).filter(|&i| allowed(i)).collect();
            (gain, cands)
        });
        for (m, name) in names.iter().enumerate() {
            s.fill(f32::NEG_INFINITY);
            if *name == "kolrec" {
                model.score_all(model.brand_vector(bu), &mut s);
            } else {
                let Some(u) = als_user[bu] else { continue };
                let uv = &uf[u * k1..(u + 1) * k1];
                for (i, item) in als_item.iter().enumerate() {
                    if let Some(it) = item {
                        s[i] = kolrec::linalg::dot(uv, &itf[it * k1..(it + 1) * k1]);
                    }
                }
            }
            // Held-out picks, over peers' catalogue (creators with a positive row).
            let top = top_k(&s, |i| in_universe[i] && allowed(i), 10);
            let (r, nd, mp) = ranking_metrics(&top, &test_pos[&b], 10);
            sums[m][0] += r;
            sums[m][1] += nd;
            sums[m][2] += mp;
            n[m] += 1.0;
            // Oracle NDCG@10 over the whole catalogue (ALS cannot score creators it never saw).
            if let Some((gain, cands)) = &truth_gains {
                let top = top_k(&s, |i| allowed(i) && s[i].is_finite(), 10);
                sums[m][3] += graded_ndcg(&top, gain, cands, 10);
                on[m] += 1.0;
            }
        }
    }
    let rows_out: Vec<(&str, f64, f64, f64, f64)> = (0..2)
        .map(|m| {
            let oracle = if on[m] > 0.0 { sums[m][3] / on[m] } else { f64::NAN };
            (names[m], sums[m][0] / n[m], sums[m][1] / n[m], sums[m][2] / n[m], oracle)
        })
        .collect();
    let peers_m = &als["metrics"];
    let als_seconds = als["train_seconds"].as_f64().unwrap_or(f64::NAN);
    outln!(
        "\nsame interactions ({} rows kept by peers), same per-brand split, {} brands with held-out pairs",
        pos.len(),
        brands.len()
    );
    outln!("{:<14} {:>10} {:>9} {:>8} {:>16}", "model", "recall@10", "ndcg@10", "map@10", "oracle ndcg@10");
    for (name, r, nd, m, o) in &rows_out {
        outln!("{name:<14} {r:>10.4} {nd:>9.4} {m:>8.4} {o:>16.4}");
    }
    outln!(
        "peers.py's own numbers for implicit-als: recall@10 {:.4}, ndcg@10 {:.4}, map@10 {:.4} (params {})",
        peers_m["recall@10"].as_f64().unwrap_or(f64::NAN),
        peers_m["ndcg@10"].as_f64().unwrap_or(f64::NAN),
        peers_m["map@10"].as_f64().unwrap_or(f64::NAN),
        als["params"]
    );
    outln!(
        "training time, {} factors, {} iterations: kolrec {:.2}s on {} rows (incl. below-market posts) vs implicit ALS {:.2}s on its train split: ratio {:.2}",
        params.factors,
        params.iterations,
        kol_seconds,
        kol_rows.len(),
        als_seconds,
        kol_seconds / als_seconds
    );
    let summary = serde_json::json!({
        "interactions": inter, "brands_evaluated": brands.len(),
        "models": rows_out.iter().map(|(n, r, nd, m, o)| serde_json::json!({"name": n, "recall@10": r, "ndcg@10": nd, "map@10": m, "oracle_ndcg@10": o})).collect::<Vec<_>>(),
        "peers_reported": peers_m, "kolrec_train_seconds": kol_seconds, "als_train_seconds": als_seconds,
    });
    std::fs::write(out.join("affinity_bench.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("written: {}", out.join("affinity_bench.json").display());
    Ok(())
}
