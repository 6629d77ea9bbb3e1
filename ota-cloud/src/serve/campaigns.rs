//! The task that steps every unfinished campaign, each `campaign_tick_ms` and whenever the
//! API changes one, storing each campaign's state after a step that changed it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::Shared;
use crate::campaign::Campaign;

/// Step campaigns until `stop` turns true; a step under way when it does is finished first.
pub(crate) async fn step_all(shared: Arc<Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let tick = Duration::from_millis(shared.config.campaign_tick_ms);
    // The state last stored per campaign, to store only what changed.
    let mut stored: BTreeMap<String, String> = BTreeMap::new();
    loop {
        if *stop.borrow() {
            return;
        }
        step_once(&shared, &mut stored).await;
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = shared.wake_campaigns.notified() => {}
            _ = stop.changed() => {}
        }
    }
}

async fn step_once(shared: &Shared, stored: &mut BTreeMap<String, String>) {
    let mut campaigns = shared.campaigns.lock().await;
    for campaign in campaigns.values_mut() {
        if campaign.is_finished() {
            continue;
        }
        let id = campaign.id().to_string();
        match campaign.step(shared.now_ms(), &*shared.engine).await {
            Ok(events) => {
                for event in events {
                    tracing::info!(campaign = %id, event = ?event, "campaign event");
                }
            }
            Err(e) => {
                tracing::warn!(campaign = %id, error = %e, "campaign step failed; retried next tick")
            }
        }
        store_if_changed(shared, campaign, stored);
    }
}

fn store_if_changed(shared: &Shared, campaign: &Campaign, stored: &mut BTreeMap<String, String>) {
    let Ok(text) = serde_json::to_string(campaign) else {
        return;
    };
    if stored.get(campaign.id()) == Some(&text) {
        return;
    }
    match shared.engine.save_campaign(campaign) {
        Ok(()) => {
            stored.insert(campaign.id().to_string(), text);
        }
        Err(e) => {
            tracing::error!(campaign = %campaign.id(), error = %e, "cannot store the campaign; retried next tick");
        }
    }
}
