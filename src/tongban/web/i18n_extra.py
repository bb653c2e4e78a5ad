"""Messages that appear only as data (pydantic error texts), listed for the extractor."""

from tongban.kernel.errors import N_

MESSAGES = [
    N_("This field is required."),
    N_("The request body is not valid JSON."),
    N_("Enter a whole number."),
    N_("Enter true or false."),
    N_("Choose one of the allowed values."),
    N_("This text is too long."),
    N_("This text is too short."),
    N_("This number is too small."),
    N_("This number is too large."),
    N_("This value is not valid."),
    N_("The page you asked for does not exist."),
    N_("This method is not allowed here."),
    N_("Something went wrong on our side. The error has been recorded."),
    N_("The form has expired. Please try again."),
]
