from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.import_progress_state import ImportProgressState, check_import_progress_state
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.row_error import RowError


T = TypeVar("T", bound="ImportProgress")


@_attrs_define
class ImportProgress:
    """
    Attributes:
        created (int):
        created_at (datetime.datetime):
        done (int):
        errors (list[RowError]):
        failed (int):
        id (UUID):
        rows (int):
        skipped (int):
        state (ImportProgressState):
        updated (int):
        failure (None | str | Unset):
        finished_at (datetime.datetime | None | Unset):
        object_ (str | Unset):  Default: 'import'.
    """

    created: int
    created_at: datetime.datetime
    done: int
    errors: list[RowError]
    failed: int
    id: UUID
    rows: int
    skipped: int
    state: ImportProgressState
    updated: int
    failure: None | str | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    object_: str | Unset = "import"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created = self.created

        created_at = self.created_at.isoformat()

        done = self.done

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        failed = self.failed

        id = str(self.id)

        rows = self.rows

        skipped = self.skipped

        state: str = self.state

        updated = self.updated

        failure: None | str | Unset
        if isinstance(self.failure, Unset):
            failure = UNSET
        else:
            failure = self.failure

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created": created,
                "created_at": created_at,
                "done": done,
                "errors": errors,
                "failed": failed,
                "id": id,
                "rows": rows,
                "skipped": skipped,
                "state": state,
                "updated": updated,
            }
        )
        if failure is not UNSET:
            field_dict["failure"] = failure
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.row_error import RowError  # noqa: PLC0415

        d = dict(src_dict)
        created = d.pop("created")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        done = d.pop("done")

        errors = []
        _errors = d.pop("errors")
        for errors_item_data in _errors:
            errors_item = RowError.from_dict(errors_item_data)

            errors.append(errors_item)

        failed = d.pop("failed")

        id = UUID(d.pop("id"))

        rows = d.pop("rows")

        skipped = d.pop("skipped")

        state = check_import_progress_state(d.pop("state"))

        updated = d.pop("updated")

        def _parse_failure(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure = _parse_failure(d.pop("failure", UNSET))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        object_ = d.pop("object", UNSET)

        import_progress = cls(
            created=created,
            created_at=created_at,
            done=done,
            errors=errors,
            failed=failed,
            id=id,
            rows=rows,
            skipped=skipped,
            state=state,
            updated=updated,
            failure=failure,
            finished_at=finished_at,
            object_=object_,
        )

        import_progress.additional_properties = d
        return import_progress

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
