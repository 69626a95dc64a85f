"""
The S3-compatible object storage adapter of :class:`DocumentStore` (boto3,
from the ``applications`` extra). It stores only what :class:`SealedDocuments`
sealed: the object store never sees a plaintext document or a key.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from ircc_account.errors import DocumentStoreUnavailable, NotFound

__all__ = ["S3DocumentStore"]


class S3DocumentStore:
    """
    Documents as objects in one bucket of S3-compatible storage.

    Args:
        bucket: The bucket (it must exist; the adapter creates nothing).
        client: A boto3 S3 client; or leave it out and give *endpoint_url*,
            *region* and credentials, and one is built with short timeouts
            and bounded retries.
        prefix: A key prefix inside the bucket (``ircc/``), if the bucket is shared.
        endpoint_url: The storage's address (an S3-compatible service).
        region: Its region.
        access_key_id: The access key (from the host's secret store).
        secret_access_key: Its secret.
        timeout: Seconds to connect and to read.
    """

    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        if client is None:
            boto3: Any = importlib.import_module("boto3")
            config: Any = importlib.import_module("botocore.config")
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=config.Config(
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    retries={"max_attempts": 2, "mode": "standard"},
                    s3={"addressing_style": "path"},
                ),
            )
        self._client = client
        errors: Any = importlib.import_module("botocore.exceptions")
        self._client_error: type[Exception] = errors.ClientError
        self._failures: tuple[type[Exception], ...] = (errors.BotoCoreError, errors.ClientError)

    def __repr__(self) -> str:
        return f"S3DocumentStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _key(self, name: str) -> str:
        return self.prefix + name

    def put(self, name: str, data: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)
        except self._failures:
            raise DocumentStoreUnavailable() from None

    def get(self, name: str) -> bytes:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._key(name))
            body: bytes = answer["Body"].read()
        except self._client_error as e:
            code = getattr(e, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                raise NotFound(kind="document") from None
            raise DocumentStoreUnavailable() from None
        except self._failures:
            raise DocumentStoreUnavailable() from None
        return body

    def delete(self, name: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except self._failures:
            raise DocumentStoreUnavailable() from None

    def list(self, prefix: str) -> Iterator[str]:
        token: str | None = None
        while True:
            options: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._key(prefix)}
            if token:
                options["ContinuationToken"] = token
            try:
                page = self._client.list_objects_v2(**options)
            except self._failures:
                raise DocumentStoreUnavailable() from None
            for entry in page.get("Contents", ()):
                yield entry["Key"][len(self.prefix) :]
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")
