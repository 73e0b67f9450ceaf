"""Contains all the data models used in inputs/outputs"""

from .actor_out import ActorOut
from .api_key_created import ApiKeyCreated
from .api_key_input import ApiKeyInput
from .api_key_list import ApiKeyList
from .api_key_out import ApiKeyOut
from .assign_input import AssignInput
from .convert_input import ConvertInput
from .create_import_on_duplicate import CreateImportOnDuplicate
from .custom_field_input import CustomFieldInput
from .custom_field_input_type import CustomFieldInputType
from .custom_field_list import CustomFieldList
from .custom_field_out import CustomFieldOut
from .custom_field_out_type import CustomFieldOutType
from .custom_field_patch import CustomFieldPatch
from .delivery_out import DeliveryOut
from .delivery_out_state import DeliveryOutState
from .delivery_page import DeliveryPage
from .duplicate_list import DuplicateList
from .duplicate_out import DuplicateOut
from .duplicate_out_reasons_item import DuplicateOutReasonsItem
from .duplicate_pair_out import DuplicatePairOut
from .duplicate_pair_out_reasons_item import DuplicatePairOutReasonsItem
from .duplicate_pair_page import DuplicatePairPage
from .erase_input import EraseInput
from .event_out import EventOut
from .event_out_data import EventOutData
from .event_page import EventPage
from .field_error import FieldError
from .import_list import ImportList
from .import_progress import ImportProgress
from .import_progress_state import ImportProgressState
from .lead_input import LeadInput
from .lead_input_custom import LeadInputCustom
from .lead_input_preferred_contact_type_1 import LeadInputPreferredContactType1
from .lead_input_preferred_contact_type_2_type_1 import LeadInputPreferredContactType2Type1
from .lead_input_preferred_contact_type_3_type_1 import LeadInputPreferredContactType3Type1
from .lead_out import LeadOut
from .lead_out_custom import LeadOutCustom
from .lead_out_preferred_contact_type_1 import LeadOutPreferredContactType1
from .lead_out_preferred_contact_type_2_type_1 import LeadOutPreferredContactType2Type1
from .lead_out_preferred_contact_type_3_type_1 import LeadOutPreferredContactType3Type1
from .lead_page import LeadPage
from .lead_patch import LeadPatch
from .lead_patch_custom import LeadPatchCustom
from .lead_patch_preferred_contact_type_1 import LeadPatchPreferredContactType1
from .lead_patch_preferred_contact_type_2_type_1 import LeadPatchPreferredContactType2Type1
from .lead_patch_preferred_contact_type_3_type_1 import LeadPatchPreferredContactType3Type1
from .list_leads_sort import ListLeadsSort
from .list_webhook_deliveries_state import ListWebhookDeliveriesState
from .mailing_address_io import MailingAddressIO
from .merge_input import MergeInput
from .merge_input_fields import MergeInputFields
from .ping_result import PingResult
from .problem_out import ProblemOut
from .reason_input import ReasonInput
from .replay_input import ReplayInput
from .replay_out import ReplayOut
from .request_out import RequestOut
from .request_out_headers_type_0 import RequestOutHeadersType0
from .rotation_input import RotationInput
from .rotation_out import RotationOut
from .row_error import RowError
from .signing_key_out import SigningKeyOut
from .source_input import SourceInput
from .source_list import SourceList
from .source_out import SourceOut
from .source_patch import SourcePatch
from .status_input import StatusInput
from .status_input_kind import StatusInputKind
from .status_list import StatusList
from .status_order import StatusOrder
from .status_out import StatusOut
from .status_out_kind import StatusOutKind
from .status_patch import StatusPatch
from .team_input import TeamInput
from .team_list import TeamList
from .team_out import TeamOut
from .team_patch import TeamPatch
from .unmerge_input import UnmergeInput
from .user_input import UserInput
from .user_input_role import UserInputRole
from .user_list import UserList
from .user_out import UserOut
from .user_out_role import UserOutRole
from .webhook_input import WebhookInput
from .webhook_list import WebhookList
from .webhook_out import WebhookOut
from .webhook_patch import WebhookPatch
from .webhook_with_secret import WebhookWithSecret

__all__ = (
    "ActorOut",
    "ApiKeyCreated",
    "ApiKeyInput",
    "ApiKeyList",
    "ApiKeyOut",
    "AssignInput",
    "ConvertInput",
    "CreateImportOnDuplicate",
    "CustomFieldInput",
    "CustomFieldInputType",
    "CustomFieldList",
    "CustomFieldOut",
    "CustomFieldOutType",
    "CustomFieldPatch",
    "DeliveryOut",
    "DeliveryOutState",
    "DeliveryPage",
    "DuplicateList",
    "DuplicateOut",
    "DuplicateOutReasonsItem",
    "DuplicatePairOut",
    "DuplicatePairOutReasonsItem",
    "DuplicatePairPage",
    "EraseInput",
    "EventOut",
    "EventOutData",
    "EventPage",
    "FieldError",
    "ImportList",
    "ImportProgress",
    "ImportProgressState",
    "LeadInput",
    "LeadInputCustom",
    "LeadInputPreferredContactType1",
    "LeadInputPreferredContactType2Type1",
    "LeadInputPreferredContactType3Type1",
    "LeadOut",
    "LeadOutCustom",
    "LeadOutPreferredContactType1",
    "LeadOutPreferredContactType2Type1",
    "LeadOutPreferredContactType3Type1",
    "LeadPage",
    "LeadPatch",
    "LeadPatchCustom",
    "LeadPatchPreferredContactType1",
    "LeadPatchPreferredContactType2Type1",
    "LeadPatchPreferredContactType3Type1",
    "ListLeadsSort",
    "ListWebhookDeliveriesState",
    "MailingAddressIO",
    "MergeInput",
    "MergeInputFields",
    "PingResult",
    "ProblemOut",
    "ReasonInput",
    "ReplayInput",
    "ReplayOut",
    "RequestOut",
    "RequestOutHeadersType0",
    "RotationInput",
    "RotationOut",
    "RowError",
    "SigningKeyOut",
    "SourceInput",
    "SourceList",
    "SourceOut",
    "SourcePatch",
    "StatusInput",
    "StatusInputKind",
    "StatusList",
    "StatusOrder",
    "StatusOut",
    "StatusOutKind",
    "StatusPatch",
    "TeamInput",
    "TeamList",
    "TeamOut",
    "TeamPatch",
    "UnmergeInput",
    "UserInput",
    "UserInputRole",
    "UserList",
    "UserOut",
    "UserOutRole",
    "WebhookInput",
    "WebhookList",
    "WebhookOut",
    "WebhookPatch",
    "WebhookWithSecret",
)
