//! The replay as one self-contained HTML page: no script, no font, no
//! request leaves it. Each game gets a summary, an inline SVG of the trace
//! tree along the path the bisection took (each reveal a row of hashes, the
//! agreed ones green, the disputed pick red, the one-step at the leaf), and
//! its moves as a table.

use std::fmt::Write as _;

use bulwark_chain::replay::{EngineRun, GameReplay, MoveKind};

use super::{describe, eth, node_name, short, steps};

const WIDTH: f64 = 1000.0;
const MARGIN: f64 = 150.0;
const ROW: f64 = 78.0;
const BOX_H: f64 = 26.0;

/// The page for `games`.
pub fn page(title: &str, games: &[GameReplay]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Bulwark dispute replay: {title}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1040px; color: #1d232a; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 18px; margin-top: 36px; border-top: 1px solid #ccd; padding-top: 16px; }}
table {{ border-collapse: collapse; margin: 8px 0 16px; }}
td, th {{ border: 1px solid #d5d9e0; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f1f3f7; }}
code {{ font: 12px ui-monospace, monospace; }}
svg text {{ font: 11px ui-monospace, monospace; }}
svg .label {{ font: 12px system-ui, sans-serif; fill: #4a5260; }}
.node {{ stroke: #4a5260; stroke-width: 1; }}
.root {{ fill: #dfe6f3; }} .agreed {{ fill: #c9ecd2; }} .picked {{ fill: #f6b7b2; stroke: #b42318; stroke-width: 2; }}
.other {{ fill: #eceef2; }} .leaf-false {{ fill: #f6b7b2; stroke: #b42318; stroke-width: 2; }} .leaf-holds {{ fill: #c9ecd2; }}
.edge {{ stroke: #9aa3b2; stroke-width: 1; }} .path {{ stroke: #b42318; stroke-width: 2; }}
.won {{ color: #1b7a3a; font-weight: 600; }} .nowrap {{ white-space: nowrap; }}
</style>
</head>
<body data-games="{}">
<h1>Dispute replay: {title}</h1>
<p>Every game read back from L1: each move with its node, the hashes revealed, the child picked and the
pre-root agreed with it, the clocks and the gas; the one-step's input decoded and run again by the engine.
In each picture a row is one reveal below the node above it: hashes left of the pick agree with the
challenger's trace (green), the pick is the first that does not (red), and the leaf is the one-step.</p>
"#,
        games.len(),
        title = escape(title)
    );
    if games.is_empty() {
        out.push_str("<p>No dispute games.</p>\n");
    }
    for game in games {
        section(&mut out, game);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn section(out: &mut String, g: &GameReplay) {
    let gas = g
        .moves
        .iter()
        .fold(0u64, |sum, m| sum.saturating_add(m.gas));
    let _ = write!(
        out,
        r#"<h2 id="game-{id}">Game {id} against batch {batch}: <span class="won">{status}</span></h2>
<table class="summary">
<tr><th>challenger</th><td><code>{challenger}</code></td><th>bond</th><td>{bond}</td></tr>
<tr><th>defender (committer)</th><td><code>{defender}</code></td><th>stake at risk</th><td>{stake}</td></tr>
<tr><th>trace root</th><td><code>{trace_root}</code></td><th>trace</th><td>depth {depth}, {steps} steps</td></tr>
<tr><th>claimed state root</th><td><code>{state_root}</code></td><th>clock</th><td>{clock} s a side</td></tr>
<tr><th>epoch</th><td>{epoch}</td><th>moves, gas</th><td>{moves} transactions, {gas} gas{resolved}</td></tr>
</table>
"#,
        id = g.id,
        batch = g.batch,
        status = escape(&g.status),
        challenger = g.challenger,
        defender = g.defender,
        bond = escape(&eth(&g.bond)),
        stake = escape(&eth(&g.stake)),
        trace_root = g.trace_root,
        state_root = g.state_root,
        depth = g.trace_depth,
        steps = steps(g.trace_depth),
        clock = g.clock,
        epoch = g.epoch,
        moves = g.moves.len(),
        resolved = if g.resolved { ", resolved" } else { "" },
    );
    svg(out, g);
    moves(out, g);
    if let Some(s) = &g.one_step {
        let engine = match &s.engine {
            EngineRun::Ran { outcome, post_root } => format!(
                "{} → <code>{post_root}</code>{}",
                escape(outcome),
                if *post_root == s.post_root {
                    " (the same as the contract)"
                } else {
                    " <strong>(differs from the contract)</strong>"
                }
            ),
            EngineRun::Refused { reason } => format!("refused: {}", escape(reason)),
        };
        let _ = write!(
            out,
            r#"<table class="one-step">
<tr><th colspan="2">One-step of step {step} ({kind}, {bytes} bytes of witness)</th></tr>
<tr><th>input</th><td>{input}</td></tr>
<tr><th>agreed pre-root</th><td><code>{pre}</code></td></tr>
<tr><th>contract computed</th><td><code>{post}</code></td></tr>
<tr><th>engine, run again</th><td>{engine}</td></tr>
<tr><th>defender claimed</th><td><code>{claimed}</code>: {verdict}</td></tr>
</table>
"#,
            step = s.step,
            kind = escape(&s.kind),
            bytes = s.witness_bytes,
            input = escape(&s.input),
            pre = s.pre_root,
            post = s.post_root,
            claimed = s.claimed,
            verdict = escape(&s.verdict),
        );
    }
}

fn moves(out: &mut String, g: &GameReplay) {
    let start = g.moves.first().map_or(0, |m| m.time);
    out.push_str(
        "<table class=\"moves\">\n<tr><th>#</th><th>time</th><th>side</th><th>move</th><th>gas</th><th>tx</th></tr>\n",
    );
    for (i, m) in g.moves.iter().enumerate() {
        let what = describe(
            &m.kind,
            g.trace_depth,
            &|hash| format!("<code>{}</code>", short(hash)),
            &escape,
        )
        .replace("->", "→");
        let _ = writeln!(
            out,
            "<tr class=\"move\"><td>{}</td><td class=\"nowrap\">t+{} s</td><td>{}<br><code>{}</code></td><td>{what}</td><td>{}</td><td><code>{}</code></td></tr>",
            i + 1,
            m.time.saturating_sub(start),
            escape(&m.side),
            m.by,
            m.gas,
            short(&m.tx)
        );
    }
    out.push_str("</table>\n");
}

/// The bisection as a picture: the root, one row per reveal, the leaf.
fn svg(out: &mut String, g: &GameReplay) {
    let reveals: Vec<(u64, &Vec<alloy::primitives::B256>)> = g
        .moves
        .iter()
        .filter_map(|m| match &m.kind {
            MoveKind::Reveal {
                position, children, ..
            } => Some((*position, children)),
            _ => None,
        })
        .collect();
    let picks: Vec<u64> = g
        .moves
        .iter()
        .filter_map(|m| match m.kind {
            MoveKind::Pick { child, .. } => Some(child),
            _ => None,
        })
        .collect();
    let rows = 1 + reveals.len() + usize::from(g.one_step.is_some());
    let height = 40.0 + rows as f64 * ROW;
    let _ = writeln!(
        out,
        r#"<svg class="trace" data-game="{}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="the bisection of game {}">"#,
        g.id, g.id
    );
    // The root: the batch's trace root, the node both sides start from.
    let mut parent = (MARGIN + (WIDTH - MARGIN) / 2.0, 20.0 + BOX_H);
    let (rx, ry) = (parent.0 - 60.0, 20.0);
    let _ = writeln!(
        out,
        r#"<text class="label" x="8" y="{}">root</text><rect class="node root" x="{rx}" y="{ry}" width="120" height="{BOX_H}" rx="4"><title>trace root {}</title></rect><text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        ry + 17.0,
        g.trace_root,
        parent.0,
        ry + 17.0,
        short(&g.trace_root)
    );
    for (row, (position, children)) in reveals.iter().enumerate() {
        let y = 20.0 + (row + 1) as f64 * ROW;
        let count = children.len().max(1) as f64;
        let slot = (WIDTH - MARGIN - 10.0) / count;
        let box_w = (slot - 6.0).min(110.0);
        let levels = children.len().max(1).trailing_zeros();
        let depth = 63 - position.max(&1).leading_zeros() + levels;
        let picked = picks.get(row).copied();
        let first = (position << levels) ^ (1u64 << depth.min(63));
        let span = 1u64 << g.trace_depth.saturating_sub(depth).min(63);
        let _ = writeln!(
            out,
            r#"<text class="label" x="8" y="{}">depth {depth}</text><text class="label" x="8" y="{}">steps {}–{}</text>"#,
            y + 11.0,
            y + 26.0,
            first.saturating_mul(span),
            (first + children.len() as u64)
                .saturating_mul(span)
                .saturating_sub(1)
        );
        let mut next = parent;
        for (i, hash) in children.iter().enumerate() {
            let x = MARGIN + i as f64 * slot + (slot - box_w) / 2.0;
            let cx = x + box_w / 2.0;
            let class = match picked {
                Some(p) if (i as u64) < p => "agreed",
                Some(p) if i as u64 == p => "picked",
                _ => "other",
            };
            let edge = if class == "picked" { "path" } else { "edge" };
            let _ = writeln!(
                out,
                r#"<line class="{edge}" x1="{}" y1="{}" x2="{cx}" y2="{y}"/><rect class="node {class}" data-position="{}" x="{x}" y="{y}" width="{box_w}" height="{BOX_H}" rx="4"><title>{} {hash}</title></rect><text x="{cx}" y="{}" text-anchor="middle">{}</text>"#,
                parent.0,
                parent.1,
                (position << levels) + i as u64,
                node_name((position << levels) + i as u64, g.trace_depth),
                y + 17.0,
                &short(hash)[..if box_w < 70.0 { 6 } else { 10 }]
            );
            if class == "picked" {
                next = (cx, y + BOX_H);
            }
        }
        parent = next;
    }
    if let Some(s) = &g.one_step {
        let y = 20.0 + (reveals.len() + 1) as f64 * ROW;
        let class = if s.refuted {
            "leaf-false"
        } else {
            "leaf-holds"
        };
        let w = 520.0;
        let x = (parent.0 - w / 2.0).clamp(MARGIN, WIDTH - w - 4.0);
        let _ = writeln!(
            out,
            r#"<text class="label" x="8" y="{}">one-step</text><line class="path" x1="{}" y1="{}" x2="{}" y2="{y}"/><rect class="node {class}" x="{x}" y="{y}" width="{w}" height="{}" rx="4"><title>{}</title></rect><text x="{}" y="{}" text-anchor="middle">step {}: {} → {} (claimed {})</text><text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            y + 17.0,
            parent.0,
            parent.1,
            x + w / 2.0,
            BOX_H * 1.8,
            escape(&s.input),
            x + w / 2.0,
            y + 17.0,
            s.step,
            short(&s.pre_root),
            short(&s.post_root),
            short(&s.claimed),
            x + w / 2.0,
            y + 36.0,
            escape(&s.verdict)
        );
    }
    out.push_str("</svg>\n");
}

/// Text made safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, B256};
    use bulwark_chain::replay::{EngineRun, GameReplay, Move, MoveKind, OneStep};

    use super::{escape, page};

    /// A record is a file anyone may hand over: nothing in it becomes markup.
    #[test]
    fn a_hostile_record_cannot_put_markup_in_the_page() {
        let evil = r#"<img src=x onerror="alert(1)">"#;
        let game = GameReplay {
            id: 0,
            batch: 1,
            epoch: 0,
            challenger: Address::ZERO,
            defender: Address::ZERO,
            trace_root: B256::ZERO,
            trace_depth: 1,
            state_root: B256::ZERO,
            bond: evil.into(),
            stake: evil.into(),
            clock: 600,
            status: evil.into(),
            resolved: false,
            moves: vec![Move {
                by: Address::ZERO,
                side: evil.into(),
                tx: B256::ZERO,
                block: 1,
                time: 1,
                gas: 1,
                kind: MoveKind::Resolve {
                    status: evil.into(),
                },
            }],
            one_step: Some(OneStep {
                step: 0,
                kind: evil.into(),
                input: evil.into(),
                pre_root: B256::ZERO,
                post_root: B256::ZERO,
                claimed: B256::ZERO,
                last: false,
                refuted: false,
                verdict: evil.into(),
                engine: EngineRun::Refused {
                    reason: evil.into(),
                },
                witness_bytes: 0,
            }),
        };
        let html = page(evil, &[game]);
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
    }

    #[test]
    fn text_from_files_cannot_break_out_of_the_page() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & co"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
        );
    }
}
