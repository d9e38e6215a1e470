//! Share links as the model reads and writes them (`docs/share-links.md`): the run (seed,
//! settings, every action with its time) and the moment shown. The browser side (address
//! bar, clipboard) is `share.rs`.

use super::Model;
use crate::geometry::ms1;
use raftlab_raft::Micros;
use raftlab_sim::link;

/// Longest run a link may ask the page to compute (2 hours of simulated time, about a
/// second of work); `raftlab run` handles longer ones.
pub const MAX_LINK_RUN_US: Micros = 2 * 3600 * 1_000_000;

/// The link of the model's whole run at the moment shown (without the `#`).
pub fn link_of(m: &Model) -> String {
    link::encode(&m.full_scenario(), Some(m.now()))
}

/// Reads the link `text`, or says what is wrong with it.
pub fn check_link(text: &str) -> Result<link::Link, String> {
    let l = link::decode(text)
        .map_err(|e| format!("This link cannot be opened, so the run is unchanged. {e}"))?;
    if l.scenario.until_us > MAX_LINK_RUN_US {
        return Err(format!(
            "This link's run lasts {} ms; the page opens runs of up to {} ms (use `raftlab run` for longer ones). The run is unchanged.",
            ms1(l.scenario.until_us),
            ms1(MAX_LINK_RUN_US)
        ));
    }
    Ok(l)
}

/// What the page says after opening a link.
pub fn opened_link(m: &Model, actions: usize) -> String {
    format!(
        "Opened a shared run: seed {}, {} nodes, {actions} actions, at {} ms of {} ms{}.",
        m.sim().seed(),
        m.sim().node_count(),
        ms1(m.now()),
        ms1(m.end()),
        if m.playing { "" } else { " (paused)" }
    )
}

/// Opens the link `text` in the model, or says what is wrong with it (the run is then kept).
pub fn open_link(m: &mut Model, text: &str) -> Result<String, String> {
    let l = check_link(text)?;
    let actions = l.scenario.events.len();
    m.open(l.scenario, l.position_us);
    // The reader sees the moment the link was made at, and presses Play when ready.
    m.set_playing(false);
    Ok(opened_link(m, actions))
}

/// The number the next quick write (`W`) carries.
pub fn next_write_number(m: &Model) -> usize {
    m.scenario()
        .events
        .iter()
        .filter(|e| matches!(e.action, raftlab_sim::scenario::Action::ClientWrite { .. }))
        .count()
        + 1
}
