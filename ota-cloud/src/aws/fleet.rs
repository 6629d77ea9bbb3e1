//! [`FleetService`] on the AWS IoT registry.

use async_trait::async_trait;
use aws_sdk_iot::types::AttributePayload;

use super::AwsBackend;
use super::error::service;
use crate::error::ServiceError;
use crate::service::{FleetService, Thing};

#[async_trait]
impl FleetService for AwsBackend {
    async fn create_thing(
        &self,
        name: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ServiceError> {
        let payload = AttributePayload::builder()
            .set_attributes(Some(attributes.into_iter().collect()))
            .build();
        self.iot
            .create_thing()
            .thing_name(name)
            .attribute_payload(payload)
            .send()
            .await
            .map_err(|e| service("CreateThing", e))?;
        Ok(())
    }

    async fn describe_thing(&self, name: &str) -> Result<Thing, ServiceError> {
        let out = self
            .iot
            .describe_thing()
            .thing_name(name)
            .send()
            .await
            .map_err(|e| service("DescribeThing", e))?;
        let mut attributes: Vec<(String, String)> = out
            .attributes()
            .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        attributes.sort();
        Ok(Thing {
            name: out.thing_name().unwrap_or(name).to_string(),
            attributes,
        })
    }

    async fn delete_thing(&self, name: &str) -> Result<(), ServiceError> {
        self.iot
            .delete_thing()
            .thing_name(name)
            .send()
            .await
            .map_err(|e| service("DeleteThing", e))?;
        Ok(())
    }

    /// `UpdateThing` with a merged attribute payload; an empty value removes the attribute
    /// (AWS's rule), so `Some("")` removes it too.
    async fn set_attribute(
        &self,
        thing: &str,
        key: &str,
        value: Option<String>,
    ) -> Result<(), ServiceError> {
        let payload = AttributePayload::builder()
            .attributes(key, value.unwrap_or_default())
            .merge(true)
            .build();
        self.iot
            .update_thing()
            .thing_name(thing)
            .attribute_payload(payload)
            .send()
            .await
            .map_err(|e| service("UpdateThing", e))?;
        Ok(())
    }

    async fn create_group(&self, name: &str, parent: Option<String>) -> Result<(), ServiceError> {
        self.iot
            .create_thing_group()
            .thing_group_name(name)
            .set_parent_group_name(parent)
            .send()
            .await
            .map_err(|e| service("CreateThingGroup", e))?;
        Ok(())
    }

    /// `CreateDynamicThingGroup`; AWS needs fleet indexing on (`IndexNotReadyException`
    /// otherwise, [`ServiceError::Unsupported`]).
    async fn create_dynamic_group(&self, name: &str, query: &str) -> Result<(), ServiceError> {
        self.iot
            .create_dynamic_thing_group()
            .thing_group_name(name)
            .query_string(query)
            .send()
            .await
            .map_err(|e| service("CreateDynamicThingGroup", e))?;
        Ok(())
    }

    async fn add_thing_to_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        self.iot
            .add_thing_to_thing_group()
            .thing_group_name(group)
            .thing_name(thing)
            .send()
            .await
            .map_err(|e| service("AddThingToThingGroup", e))?;
        Ok(())
    }

    async fn remove_thing_from_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        self.iot
            .remove_thing_from_thing_group()
            .thing_group_name(group)
            .thing_name(thing)
            .send()
            .await
            .map_err(|e| service("RemoveThingFromThingGroup", e))?;
        Ok(())
    }

    async fn list_group_members(&self, group: &str) -> Result<Vec<String>, ServiceError> {
        let mut things = Vec::new();
        each_page!(
            self,
            self.iot
                .list_things_in_thing_group()
                .thing_group_name(group)
                .recursive(true)
                .into_paginator(),
            "ListThingsInThingGroup",
            |page| {
                things.extend(page.things().iter().cloned());
            }
        );
        Ok(things)
    }
}
