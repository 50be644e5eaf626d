use super::{MeetingService, RequestContext, MAX_TAGS_PER_RESOURCE};
use crate::domain::MeetingRecord;
use crate::error::ServiceError;
use crate::ids::normalize_id;
use crate::operations::{
    ListTagsForResourceInput, ListTagsForResourceOutput, TagResourceInput, UntagResourceInput,
};
use crate::store::TagOutcome;

fn resource_not_found(arn: &str) -> ServiceError {
    ServiceError::ResourceNotFound {
        message: format!("Resource {arn} not found"),
        resource: arn.to_string(),
    }
}

/// The meeting id of `arn:aws:chime:<region>:<account>:meeting/<MeetingId>`, if the ARN has that
/// shape and names the caller's account.
fn meeting_id_of(arn: &str, account_id: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some("aws"), Some("chime"), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let id = resource.strip_prefix("meeting/")?;
    (!region.is_empty() && account == account_id).then(|| normalize_id(id))
}

impl MeetingService {
    /// The active meeting an ARN names, or `ResourceNotFoundException`. The whole ARN must match
    /// (region included), not just the id inside it.
    async fn meeting_by_arn(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<MeetingRecord, ServiceError> {
        let id =
            meeting_id_of(arn, &ctx.scope.account_id).ok_or_else(|| resource_not_found(arn))?;
        match self.store.get_meeting(&ctx.scope, &id).await? {
            Some(m) if m.arn().eq_ignore_ascii_case(arn) => Ok(m),
            _ => Err(resource_not_found(arn)),
        }
    }

    /// TagResource: adds or overwrites tags; at most 50 per meeting.
    pub async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceInput,
    ) -> Result<(), ServiceError> {
        let meeting = self.meeting_by_arn(ctx, &input.resource_arn).await?;
        let tagged = self
            .store
            .tag_meeting(
                &ctx.scope,
                &meeting.meeting_id,
                input.tags,
                MAX_TAGS_PER_RESOURCE,
            )
            .await?
            .ok_or_else(|| resource_not_found(&input.resource_arn))?;
        match tagged {
            TagOutcome::Tagged => Ok(()),
            TagOutcome::TooManyTags => Err(ServiceError::TooManyTags {
                message: format!(
                    "Too many tags: a resource can have at most {MAX_TAGS_PER_RESOURCE} tags"
                ),
                resource: input.resource_arn,
            }),
        }
    }

    /// UntagResource: succeeds even for keys that are not set.
    pub async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceInput,
    ) -> Result<(), ServiceError> {
        let meeting = self.meeting_by_arn(ctx, &input.resource_arn).await?;
        self.store
            .untag_meeting(&ctx.scope, &meeting.meeting_id, input.tag_keys)
            .await?
            .ok_or_else(|| resource_not_found(&input.resource_arn))
    }

    /// ListTagsForResource.
    pub async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceInput,
    ) -> Result<ListTagsForResourceOutput, ServiceError> {
        let meeting = self.meeting_by_arn(ctx, &input.resource_arn).await?;
        let tags = self
            .store
            .list_meeting_tags(&ctx.scope, &meeting.meeting_id)
            .await?
            .ok_or_else(|| resource_not_found(&input.resource_arn))?;
        Ok(ListTagsForResourceOutput { tags })
    }
}

#[cfg(test)]
mod tests {
    use super::meeting_id_of;

    #[test]
    fn meeting_arns() {
        let id = "396bc713-ecdb-4fac-a406-1db789d52713";
        let arn = format!("arn:aws:chime:us-east-1:123456789012:meeting/{id}");
        assert_eq!(meeting_id_of(&arn, "123456789012").as_deref(), Some(id));
        assert_eq!(meeting_id_of(&arn, "210987654321"), None);
        for bad in [
            "arn:aws:chime:us-east-1:123456789012:attendee/x",
            "arn:aws:sns:us-east-1:123456789012:meeting/x",
            "arn:aws:chime::123456789012:meeting/x",
            "arn:",
        ] {
            assert_eq!(meeting_id_of(bad, "123456789012"), None, "{bad}");
        }
    }
}
