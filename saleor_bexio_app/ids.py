"""Typed ids so that no bare str or int crosses a layer."""

from typing import NewType

SaleorApiUrl = NewType("SaleorApiUrl", str)
AppId = NewType("AppId", str)
SaleorId = NewType("SaleorId", str)
InstallationId = NewType("InstallationId", int)
JobId = NewType("JobId", int)
BexioContactId = NewType("BexioContactId", int)
BexioArticleId = NewType("BexioArticleId", int)
BexioInvoiceId = NewType("BexioInvoiceId", int)
BexioOrderId = NewType("BexioOrderId", int)
