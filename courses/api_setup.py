"""REST endpoints for course setup: terms, creating and changing a course, adding sections, and staff.
(A section's own PATCH is `api.SectionDetailView`, through the one section service.)"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import access, api, selectors
from courses.models import Course, StaffRole, Term
from courses.selectors import setup as setup_selectors
from courses.services import setup, staff, waitlist
from portal.api import ERROR, validated

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number is refused as invalid, not sent to the database

# ---- terms --------------------------------------------------------------------------------------------


class TermOut(serializers.ModelSerializer):
    class Meta:
        model = Term
        fields = ["id", "name", "starts_on", "ends_on"]


class TermIn(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    starts_on = serializers.DateField(help_text="YYYY-MM-DD, the first day of the term.")
    ends_on = serializers.DateField(help_text="YYYY-MM-DD, the last day; after starts_on.")


class TermListView(APIView):
    @extend_schema(responses={200: TermOut(many=True)}, tags=["setup"])
    def get(self, request):
        """Every term (anyone signed in): the choices for a course's term."""
        return Response(TermOut(setup_selectors.terms(), many=True).data)

    @extend_schema(request=TermIn, responses={201: TermOut, 400: ERROR, 403: ERROR}, tags=["setup"])
    def post(self, request):
        """Create a term (superusers)."""
        access.access_course_creation(request.user, "create terms")
        term = setup.term_create(acting_user=request.user, **validated(TermIn, request.data))
        return Response(TermOut(term).data, status=status.HTTP_201_CREATED)


class TermDetailView(APIView):
    @extend_schema(
        request=TermIn(partial=True),
        responses={200: TermOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["setup"],
    )
    def patch(self, request, term_id: int):
        """Change a term's name or dates (superusers)."""
        access.access_course_creation(request.user, "change terms")
        data = validated(TermIn, request.data, partial=True)
        return Response(TermOut(setup.term_update(acting_user=request.user, term_id=term_id, **data)).data)


# ---- courses ------------------------------------------------------------------------------------------


class CourseSettingsOut(serializers.ModelSerializer):
    term_name = serializers.CharField(source="term.name", read_only=True)
    setup_url = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = ["id", "term", "term_name", *setup.COURSE_FIELDS, "setup_url"]

    def get_setup_url(self, course) -> str:
        """The course's setup page."""
        return reverse("course-setup", args=[course.id])


def _percent(**kwargs):
    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, **kwargs)


def _days(limit: int, **kwargs):
    return serializers.IntegerField(min_value=0, max_value=limit, **kwargs)


def _text(max_length: int | None = None, **kwargs):
    return serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=max_length, **kwargs)


class CourseIn(serializers.Serializer):
    """A course's settings (courses.services.setup.COURSE_FIELDS and its term)."""

    term = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of a term (GET /api/v1/terms/)."
    )
    code = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA zone name, e.g. America/New_York."
    )
    late_policy = serializers.ChoiceField(choices=Course.LatePolicy.choices, required=False)
    grace_days = _days(30, required=False)
    late_day_bank = _days(60, required=False)
    late_days_per_assignment = _days(30, required=False)
    penalty_percent_per_day = _percent(required=False)
    penalty_floor_percent = _percent(required=False)
    penalty_max_days = _days(60, required=False)
    regrade_window_days = _days(365, required=False)
    bonus_cap_percent = _percent(required=False)
    waitlist_allows_audit = serializers.BooleanField(required=False)
    readiness_threshold_percent = _percent(required=False)
    readiness_advice = _text(required=False)
    reminder_hours = _text(64, required=False, help_text="Hours before the due time, e.g. 48,24.")
    description = _text(required=False)
    instructor_contact = _text(required=False)
    communication = _text(required=False)
    office_hours = _text(required=False)
    prerequisites = _text(required=False)
    honor_statement = _text(required=False)
    other_courses_notice = _text(required=False)
    other_course_section_codes = _text(200, required=False)


class CourseCreateIn(CourseIn):
    instructor = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        help_text="Username of the first instructor; blank: you.",
    )
    instructor_first_name = _text(150, required=False)
    instructor_last_name = _text(150, required=False)
    instructor_email = _text(254, required=False, help_text="With a name: creates the account if missing.")


class CourseListView(api.CourseListView):
    @extend_schema(
        request=CourseCreateIn, responses={201: CourseSettingsOut, 400: ERROR, 403: ERROR}, tags=["setup"]
    )
    def post(self, request):
        """Create a course (superusers) with its first instructor: `instructor` names an account (created,
        with no usable password, when a name and an e-mail are given; an existing account is never
        changed); blank: you."""
        access.access_course_creation(request.user, "create courses")
        data = validated(CourseCreateIn, request.data)
        course = setup.course_create(acting_user=request.user, term_id=data.pop("term"), **data)
        return Response(CourseSettingsOut(course).data, status=status.HTTP_201_CREATED)


class CourseDetailView(api.CourseDetailView):
    @extend_schema(
        request=CourseIn(partial=True),
        responses={200: CourseSettingsOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["setup"],
    )
    def patch(self, request, course_id: int):
        """Change a course's settings (its instructors). A new time zone or late policy recomputes every
        student's deadlines; due times stay the same instants (shown in the new zone)."""
        access.access_course_for_setup(request.user, course_id)
        data = validated(CourseIn, request.data, partial=True)
        course = setup.course_update(
            acting_user=request.user, course_id=course_id, term_id=data.pop("term", None), **data
        )
        return Response(CourseSettingsOut(course).data)


# ---- sections -----------------------------------------------------------------------------------------


class SectionListView(api.SectionListView):
    @extend_schema(
        request=api.SectionIn,
        responses={201: api.SectionOut, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["setup"],
    )
    def post(self, request, course_id: int):
        """Add a section (instructors): code (unique in the course), level, capacity up to the room's
        size, and the rest of its fields."""
        course = access.access_course_for_setup(request.user, course_id)
        data = validated(api.SectionIn, request.data)
        section = waitlist.section_create(acting_user=request.user, course_id=course.id, **data)
        section = selectors.sections_for_course(course).get(pk=section.pk)
        return Response(api.SectionOut(section).data, status=status.HTTP_201_CREATED)


# ---- staff --------------------------------------------------------------------------------------------


class StaffMemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.display_name")
    email = serializers.CharField(source="user.email", help_text="Blank when unknown.")
    role = serializers.ChoiceField(choices=StaffRole.Role.choices)
    section_id = serializers.IntegerField(allow_null=True)
    section = serializers.CharField(source="section.code", allow_null=True, default=None)


class StaffIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=StaffRole.Role.choices)
    sections = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_empty=True,
        help_text="Section ids, for a TA of some sections only; empty: the whole course.",
    )
    first_name = _text(150, required=False)
    last_name = _text(150, required=False)
    email = _text(254, required=False, help_text="With a name: creates the account if there is none.")


class StaffAddOut(serializers.Serializer):
    account_created = serializers.BooleanField()
    roles = StaffMemberOut(many=True)


class CourseStaffView(APIView):
    @extend_schema(responses={200: StaffMemberOut(many=True), 404: ERROR}, tags=["setup"])
    def get(self, request, course_id: int):
        """The course's staff (its staff read it): instructors, then TAs with their sections."""
        course = access.access_course_for_setup(request.user, course_id, read=True)
        return Response(StaffMemberOut(setup_selectors.staff_for_course(course), many=True).data)

    @extend_schema(
        request=StaffIn, responses={201: StaffAddOut, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["setup"]
    )
    def post(self, request, course_id: int):
        """Add an instructor, or a TA of the whole course or of some sections (instructors). By username;
        with a name and an e-mail, an account that does not exist is created (no usable password; an
        existing account is never changed). An active student of the course is refused (`is_student`)."""
        course = access.access_course_for_setup(request.user, course_id)
        data = validated(StaffIn, request.data)
        roles, created = staff.staff_add(
            acting_user=request.user, course_id=course.id, section_ids=data.pop("sections", []), **data
        )
        return Response(
            StaffAddOut({"account_created": created, "roles": roles}).data, status=status.HTTP_201_CREATED
        )


class StaffRoleDetailView(APIView):
    @extend_schema(request=None, responses={204: None, 400: ERROR, 403: ERROR, 404: ERROR}, tags=["setup"])
    def delete(self, request, staff_role_id: int):
        """Remove a staff role (instructors); the course's last instructor stays (`last_instructor`)."""
        staff.staff_remove(acting_user=request.user, staff_role_id=staff_role_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
